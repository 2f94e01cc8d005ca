import CFleetProto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bump allocator with a byte budget, handed to protobuf-c's unpack as a `ProtobufCAllocator`.
///
/// Small allocations come from 64 KiB chunks (no malloc per allocation); large ones get their own
/// block. `free` is a no-op: everything is released at once by `release()` (or `deinit`), which is
/// what pairs with `__unpack`. When an allocation would take the total over the budget it returns
/// NULL, protobuf-c's unpack then returns NULL, and `refusedAllocation` tells that apart from
/// malformed input.
final class _BudgetArena {
    /// The most bytes (each allocation rounded up to 16) this arena hands out.
    let budget: Int
    /// Bytes handed out so far.
    private(set) var used = 0
    /// Whether an allocation was refused for lack of budget.
    private(set) var refusedAllocation = false

    private static let chunkSize = 64 << 10
    private static let largeThreshold = 4 << 10
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0

    init(budget: Int) {
        self.budget = max(0, budget)
    }

    deinit { release() }

    /// Returns 16-byte aligned memory for `size` bytes, or nil when over budget (or out of memory).
    func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        guard size >= 0, size <= budget - used - 15 else {
            refusedAllocation = true
            return nil
        }
        let rounded = (max(size, 1) + 15) & ~15
        if rounded > Self.largeThreshold {
            guard let block = malloc(rounded) else { return nil }
            blocks.append(block)
            used += rounded
            return block
        }
        if rounded > remaining {
            guard let chunk = malloc(Self.chunkSize) else { return nil }
            blocks.append(chunk)
            cursor = chunk
            remaining = Self.chunkSize
        }
        guard let at = cursor else { return nil }
        cursor = at + rounded
        remaining -= rounded
        used += rounded
        return at
    }

    /// Frees every block at once; the memory handed out is invalid afterwards.
    func release() {
        for block in blocks { free(block) }
        blocks.removeAll()
        cursor = nil
        remaining = 0
    }

    /// Calls `body` with a `ProtobufCAllocator` drawing on this arena.
    func withAllocator<R>(_ body: (UnsafeMutablePointer<ProtobufCAllocator>) -> R) -> R {
        var allocator = ProtobufCAllocator(
            alloc: _budgetArenaAlloc, free: _budgetArenaFree,
            allocator_data: Unmanaged.passUnretained(self).toOpaque())
        return withExtendedLifetime(self) { body(&allocator) }
    }
}

private func _budgetArenaAlloc(_ data: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    guard let data else { return nil }
    return Unmanaged<_BudgetArena>.fromOpaque(data).takeUnretainedValue().allocate(size)
}

private func _budgetArenaFree(_ data: UnsafeMutableRawPointer?, _ pointer: UnsafeMutableRawPointer?) {
    // Arena memory is released all at once by `_BudgetArena.release()`.
}
