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
/// block. The budget bounds the memory actually held (every chunk and block counts in full), not
/// just the bytes asked for. Blocks come from, and go back to, `_BlockCache`, so a steady stream
/// of similar frames unpacks into warm memory instead of faulting in fresh pages each time.
/// `free` is a no-op: everything is released at once by `release()` (or `deinit`), which is what
/// pairs with `__unpack`. When an allocation does not fit in the budget it returns NULL,
/// protobuf-c's unpack then returns NULL, and `refusedAllocation` tells that apart from malformed
/// input.
final class _BudgetArena {
    /// The most memory, in bytes, this arena holds at once.
    let budget: Int
    /// Bytes handed out so far (each allocation rounded up to 16).
    private(set) var handedOut = 0
    /// Bytes held in chunks and blocks; never more than `budget`.
    private(set) var reserved = 0
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

    /// Returns 16-byte aligned memory for `size` bytes, or nil when it does not fit in the budget
    /// (or the system is out of memory).
    func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        guard size >= 0, size <= budget else { return refuse() }
        let rounded = (max(size, 1) + 15) & ~15
        if rounded > Self.largeThreshold {
            let capacity = _BlockCache.capacity(for: rounded)
            guard capacity <= budget - reserved else { return refuse() }
            guard let block = _BlockCache.take(capacity, atMost: budget - reserved) else { return nil }
            blocks.append(block)
            reserved += block.capacity
            handedOut += rounded
            return block.pointer
        }
        if rounded > remaining {
            // A full chunk, or what is left of the budget when that is less.
            let capacity = min(Self.chunkSize, (budget - reserved) & ~15)
            guard capacity >= rounded else { return refuse() }
            guard let chunk = _BlockCache.take(capacity, atMost: budget - reserved) else { return nil }
            blocks.append(chunk)
            reserved += chunk.capacity
            cursor = chunk.pointer
            remaining = chunk.capacity
        }
        guard let at = cursor else { return nil }
        cursor = at + rounded
        remaining -= rounded
        handedOut += rounded
        return at
    }

    private func refuse() -> UnsafeMutableRawPointer? {
        refusedAllocation = true
        return nil
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

    private static let cached = Mutex<[Block]>([])

    /// The block size to ask for `size` bytes: rounded up to 4 KiB below 1 MiB and to 64 KiB above,
    /// so frames of slightly different sizes share blocks while little memory is wasted.
    static func capacity(for size: Int) -> Int {
        let granularity = size < 1 << 20 ? 4 << 10 : 64 << 10
        return (size + granularity - 1) / granularity * granularity
    }

    /// A block of at least `capacity` bytes and at most `limit`: from the cache if it holds one
    /// (of at most twice `capacity`, so a small request does not pin a big block), else from malloc.
    static func take(_ capacity: Int, atMost limit: Int) -> Block? {
        let hit = cached.withLock { blocks -> Block? in
            var best: Int?
            for i in blocks.indices
            where blocks[i].capacity >= capacity && blocks[i].capacity / 2 <= capacity && blocks[i].capacity <= limit {
                if best.map({ blocks[i].capacity < blocks[$0].capacity }) ?? true { best = i }
            }
            return best.map { blocks.remove(at: $0) }
        }
        if let hit { return hit }
        return malloc(max(1, capacity)).map { Block(pointer: $0, capacity: capacity) }
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
