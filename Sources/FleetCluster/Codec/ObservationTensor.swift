import FleetEnvironments
import FleetWire

// Observations on the wire: float32, or one byte per element for a box of pixels (`uint8`). An
// environment writes every observation into `Float` buffers; a pixel is a whole number in
// 0 ... 255 there, so the byte holds it exactly and widening it back gives the same `Float`.
// Nothing is scaled: the model takes the values the environment wrote.

extension WireTensor {
    /// Observations `values` of `shape` as they travel for a box of `elementType`: float32 as they
    /// are, uint8 one byte each (a value outside 0 ... 255 saturates, a fraction rounds; a pixel
    /// environment writes neither).
    package init(observations values: [Float], shape: [Int], elementType: BoxElementType) {
        switch elementType {
        case .float32:
            self.init(float32: values, shape: shape)
        case .uint8:
            self.init(uint8: values.map { UInt8(Swift.min(Swift.max($0, 0), 255).rounded()) }, shape: shape)
        }
    }

    /// The observations this tensor holds, as `Float`s the model takes, if its dtype is the one a
    /// box of `elementType` travels as: float32 as they are, uint8 widened exactly (no scaling).
    /// Nil for any other dtype.
    package func observationValues(of elementType: BoxElementType) -> [Float]? {
        switch (elementType, storage) {
        case (.float32, .float32(let values)): values
        case (.uint8, .uint8(let bytes)): bytes.map(Float.init)
        default: nil
        }
    }
}
