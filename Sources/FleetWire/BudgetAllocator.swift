import CFleetProto
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A bump allocator with a byte budget, handed to protobuf-c's unpack as a `ProtobufCAllocator`.
///
/// Small allocations come from 64 KiB chunks (no malloc per allocation); large ones get their own
/// block. Blocks come from, and go back to, `_BlockCache`, so a steady stream of similar frames
/// unpacks into warm memory instead of faulting in fresh pages each time. `free` is a no-op:
/// everything is released at once by `release()` (or `deinit`), which is what pairs with
/// `__unpack`. When an allocation would take the total over the budget it returns NULL,
/// protobuf-c's unpack then returns NULL, and `refusedAllocation` tells that apart from malformed
/// input.
final class _BudgetArena {
    /// The most bytes (each allocation rounded up to 16) this arena hands out.
    let budget: Int
    /// Bytes handed out so far.
    private(set) var used = 0
    /// Whether an allocation was refused for lack of budget.
    private(set) var refusedAllocation = false

    private static let chunkSize = 64 << 10
    private static let largeThreshold = 4 << 10
    private var blocks: [_BlockCache.Block] = []
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
            guard let block = _BlockCache.take(rounded) else { return nil }
            blocks.append(block)
            used += rounded
            return block.pointer
        }
        if rounded > remaining {
            guard let chunk = _BlockCache.take(Self.chunkSize) else { return nil }
            blocks.append(chunk)
            cursor = chunk.pointer
            remaining = Self.chunkSize
        }
        guard let at = cursor else { return nil }
        cursor = at + rounded
        remaining -= rounded
        used += rounded
        return at
    }

    /// Gives every block back at once; the memory handed out is invalid afterwards.
    func release() {
        for block in blocks { _BlockCache.give(block) }
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

/// A small process-wide cache of freed arena blocks (at most `maxBlocks` blocks and `maxBytes`
/// bytes), shared by all threads under a mutex.
enum _BlockCache {
    struct Block: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
        let capacity: Int
    }

    static let maxBlocks = 16
    static let maxBytes = 32 << 20
    /// Sizes are rounded up to this, so frames of slightly different sizes share blocks.
    static let granularity = 64 << 10

    private static let cached = Mutex<[Block]>([])

    /// A block of at least `size` bytes (and not more than twice that, so a small request does
    /// not pin a big block), from the cache if it holds one, else from malloc.
    static func take(_ size: Int) -> Block? {
        let capacity = (size + granularity - 1) / granularity * granularity
        let hit = cached.withLock { blocks -> Block? in
            var best: Int?
            for i in blocks.indices where blocks[i].capacity >= capacity && blocks[i].capacity / 2 <= capacity {
                if best.map({ blocks[i].capacity < blocks[$0].capacity }) ?? true { best = i }
            }
            return best.map { blocks.remove(at: $0) }
        }
        if let hit { return hit }
        return malloc(capacity).map { Block(pointer: $0, capacity: capacity) }
    }

    /// Keeps `block` for reuse if there is room, else frees it.
    static func give(_ block: Block) {
        let kept = cached.withLock { blocks -> Bool in
            let total = blocks.reduce(0) { $0 + $1.capacity }
            guard blocks.count < maxBlocks, total + block.capacity <= maxBytes else { return false }
            blocks.append(block)
            return true
        }
        if !kept { free(block.pointer) }
    }
}
