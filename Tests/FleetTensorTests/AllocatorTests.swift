import XCTest

@testable import FleetTensor

/// Allocator tuning is available on Linux.
final class AllocatorTests: XCTestCase {
    func testRetainFreedMemoryTakesEffectOnGlibc() {
        #if canImport(Glibc)
        XCTAssertTrue(Allocator.retainFreedMemory())
        #endif
    }
}
