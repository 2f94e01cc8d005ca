/// TensorBoard's `Event` messages (tensorflow/core/util/event.proto), encoded by hand:
///
/// ```
/// Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
/// Summary { repeated Value value = 1; }
/// Value   { string tag = 1; float simple_value = 2; }
/// ```
/// Fields at their proto3 default (step 0) are left out, as protobuf's own encoders do.
package enum TensorBoardEvent {
    /// The version every event file starts with.
    package static let fileVersion = "brain.Event:2"

    /// The first event of a file: the wall time and `file_version`.
    package static func fileVersionEvent(wallTime: Double) -> [UInt8] {
        var event = ProtobufEncoder()
        event.double(field: 1, wallTime)
        event.string(field: 3, fileVersion)
        return event.bytes
    }

    /// One event carrying every scalar of a step as a `simple_value` (float32).
    package static func scalarEvent(wallTime: Double, step: Int64, scalars: [MetricScalar]) -> [UInt8] {
        var summary = ProtobufEncoder()
        for scalar in scalars {
            var value = ProtobufEncoder()
            value.string(field: 1, scalar.tag)
            value.float(field: 2, Float(scalar.value))
            summary.bytes(field: 1, value.bytes)
        }
        var event = ProtobufEncoder()
        event.double(field: 1, wallTime)
        if step != 0 { event.int64(field: 2, step) }
        event.bytes(field: 5, summary.bytes)
        return event.bytes
    }
}
