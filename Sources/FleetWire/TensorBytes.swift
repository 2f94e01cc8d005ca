// Bulk conversion between typed Swift arrays and little-endian tensor bytes. On a little-endian
// host these are plain memory copies (or no copy at all); on a big-endian host every element is
// byte-swapped, so the wire stays little-endian either way.

/// An element type a tensor can hold, with its byte order handling.
protocol _WireElement: BitwiseCopyable {
    /// Swaps the byte order of every element (used on big-endian hosts only).
    static func _byteSwap(_ values: UnsafeMutableBufferPointer<Self>)
}

extension Float: _WireElement {
    static func _byteSwap(_ values: UnsafeMutableBufferPointer<Float>) {
        for i in values.indices { values[i] = Float(bitPattern: values[i].bitPattern.byteSwapped) }
    }
}
extension Double: _WireElement {
    static func _byteSwap(_ values: UnsafeMutableBufferPointer<Double>) {
        for i in values.indices { values[i] = Double(bitPattern: values[i].bitPattern.byteSwapped) }
    }
}
extension Int32: _WireElement {
    static func _byteSwap(_ values: UnsafeMutableBufferPointer<Int32>) {
        for i in values.indices { values[i] = values[i].byteSwapped }
    }
}
extension Int64: _WireElement {
    static func _byteSwap(_ values: UnsafeMutableBufferPointer<Int64>) {
        for i in values.indices { values[i] = values[i].byteSwapped }
    }
}
extension UInt8: _WireElement {
    static func _byteSwap(_ values: UnsafeMutableBufferPointer<UInt8>) {}
}
extension Bool: _WireElement {
    static func _byteSwap(_ values: UnsafeMutableBufferPointer<Bool>) {}
}

/// Copies `count` little-endian elements from `bytes` into a new array (one bulk copy).
/// The caller has checked that `bytes.count == count * MemoryLayout<T>.size`.
@inline(__always)
func _arrayFromLittleEndian<T: _WireElement>(
    _ type: T.Type, _ bytes: UnsafeRawBufferPointer, count: Int
) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0, let source = bytes.baseAddress, let target = buffer.baseAddress {
            UnsafeMutableRawPointer(target).copyMemory(
                from: source, byteCount: count * MemoryLayout<T>.stride)
            #if _endian(big)
                T._byteSwap(UnsafeMutableBufferPointer(start: target, count: count))
            #endif
        }
        initialized = count
    }
}

/// Copies `count` little-endian float32 values from `bytes` into a new array and tells whether
/// they are all finite, in one vectorizable pass (see `_firstNonFinite`).
func _finiteFloat32FromLittleEndian(_ bytes: UnsafeRawBufferPointer, count: Int) -> ([Float], Bool) {
    let exponent: UInt32 = 0x7f80_0000
    var carry: UInt32 = 0
    let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0, let source = bytes.baseAddress, let target = buffer.baseAddress {
            let out = UnsafeMutableRawPointer(target)
            for i in 0..<count {
                let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))
                out.storeBytes(of: bits, toByteOffset: i &* 4, as: UInt32.self)
                carry |= (bits & exponent) &+ 0x0080_0000
            }
        }
        initialized = count
    }
    return (values, carry & 0x8000_0000 == 0)
}

/// Copies `count` little-endian int32 values from `bytes` into a new array and tells whether any
/// is negative (an OR of the sign bits, in the same vectorizable pass).
func _int32FromLittleEndian(_ bytes: UnsafeRawBufferPointer, count: Int) -> ([Int32], anyNegative: Bool) {
    var signs: UInt32 = 0
    let values = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0, let source = bytes.baseAddress, let target = buffer.baseAddress {
            let out = UnsafeMutableRawPointer(target)
            for i in 0..<count {
                let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))
                out.storeBytes(of: bits, toByteOffset: i &* 4, as: UInt32.self)
                signs |= bits
            }
        }
        initialized = count
    }
    return (values, signs & 0x8000_0000 != 0)
}

/// Calls `body` with the little-endian bytes of `values`: the array's own memory on a
/// little-endian host, a swapped copy on a big-endian one.
@inline(__always)
func _withLittleEndianBytes<T: _WireElement, R>(
    of values: [T], _ body: (UnsafeRawBufferPointer) -> R
) -> R {
    #if _endian(big)
        var swapped = values
        swapped.withUnsafeMutableBufferPointer { T._byteSwap($0) }
        return swapped.withUnsafeBytes(body)
    #else
        return values.withUnsafeBytes(body)
    #endif
}

extension WireTensor.Storage {
    /// Calls `body` with the elements as little-endian bytes, without copying on this host.
    func _withLittleEndianBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .float32(let v): FleetWire._withLittleEndianBytes(of: v, body)
        case .float64(let v): FleetWire._withLittleEndianBytes(of: v, body)
        case .int32(let v): FleetWire._withLittleEndianBytes(of: v, body)
        case .int64(let v): FleetWire._withLittleEndianBytes(of: v, body)
        case .uint8(let v): FleetWire._withLittleEndianBytes(of: v, body)
        case .bool(let v): FleetWire._withLittleEndianBytes(of: v, body)
        }
    }
}

/// The index of the first NaN or infinity, or nil when every value is finite. The common case
/// (all finite) is one branch-free pass that vectorizes: with the exponent bits masked, adding
/// one unit of the lowest exponent bit carries into the sign bit exactly when they were all ones.
func _firstNonFinite(_ values: [Float]) -> Int? {
    values.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: UInt32.self) { bits in
            let exponent: UInt32 = 0x7f80_0000
            var carry: UInt32 = 0
            for i in 0..<bits.count { carry |= (bits[i] & exponent) &+ 0x0080_0000 }
            guard carry & 0x8000_0000 != 0 else { return nil }
            return bits.firstIndex { $0 & exponent == exponent }
        }
    }
}

/// The index of the first NaN or infinity, or nil when every value is finite.
func _firstNonFinite(_ values: [Double]) -> Int? {
    values.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: UInt64.self) { bits in
            let exponent: UInt64 = 0x7ff0_0000_0000_0000
            var carry: UInt64 = 0
            for i in 0..<bits.count { carry |= (bits[i] & exponent) &+ 0x0010_0000_0000_0000 }
            guard carry & 0x8000_0000_0000_0000 != 0 else { return nil }
            return bits.firstIndex { $0 & exponent == exponent }
        }
    }
}
