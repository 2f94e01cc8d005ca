extension Tensor {
    /// Gives `body` the elements to read and write in place, without copying them.
    ///
    /// From another module, `tensor.data.withUnsafeMutableBufferPointer { ... }` copies the whole
    /// array on every call: `data` has an observer, and an observed property modified from outside
    /// its module is read, changed and written back. This method runs inside FleetTensor, where the
    /// storage is modified in place (unless another array shares it: then copy-on-write copies it
    /// once, as any array write would). `body` must not let the pointer escape.
    public func withUnsafeMutableData<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try data.withUnsafeMutableBufferPointer { try body($0) }
    }
}
