/// An update that an algorithm gave up and undid: its loss or a gradient was not finite. The
/// learner's weights, optimizer and counters are as they were before it; the learner drops its
/// batches (counted as `non_finite_update`) and publishes no new version.
package struct UpdateAborted: Error, CustomStringConvertible {
    package var description: String
}
