extension Tensor {
    /// Gives `body` the elements to read and write in place, without copying them (unless another
    /// array shares the storage: then copy-on-write copies it once, as any array write would).
    /// `body` must not let the pointer escape.
    public func withUnsafeMutableData<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try data.withUnsafeMutableBufferPointer { try body($0) }
    }
}
