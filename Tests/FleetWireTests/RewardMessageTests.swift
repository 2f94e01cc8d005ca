import XCTest

@testable import FleetWire

/// The reward protocol's messages: texts whole (any UTF-8, NUL included), the limits, and replies
/// that hold rewards or a failure, never both.
final class RewardMessageTests: XCTestCase {
    private func request(_ items: [RewardItem]) -> Frame {
        Frame(envelope: SampleFrames.rewardClientEnvelope, payload: .rewardRequest(RewardRequest(items: items)))
    }

    private func reply(_ outcome: RewardReply.Outcome) -> Frame {
        Frame(
            envelope: SampleFrames.rewardReply.envelope,
            payload: .rewardReply(RewardReply(requestSequence: 9, outcome: outcome)))
    }

    func testTextsRoundTripWhole() throws {
        let items = [
            RewardItem(promptID: -3, prompt: "", response: "a\u{0}b", answer: "ß", metadata: "{}", truncated: true),
            RewardItem(promptID: Int64.max, prompt: "日本", response: "", answer: "", truncated: false),
        ]
        XCTAssertEqual(try Frame(decoding: request(items).encoded()), request(items))
        XCTAssertEqual(try Frame(decoding: request([]).encoded()), request([]), "a ping")
    }

    func testRepliesRoundTrip() throws {
        for outcome: RewardReply.Outcome in [
            .rewards([]), .rewards([0, -1e300, 2.5]), .failure(reason: "worker_died", detail: "signal 9"),
        ] {
            XCTAssertEqual(try Frame(decoding: reply(outcome).encoded()), reply(outcome))
        }
    }

    func testLimits() {
        let long = String(repeating: "x", count: RewardRequest.maxTextBytes + 1)
        assertRejected(
            request([RewardItem(promptID: 1, prompt: "p", response: long, answer: "a", truncated: false)]), .outOfRange,
            field: "reward_request.responses")
        let many = Array(
            repeating: RewardItem(promptID: 1, prompt: "", response: "", answer: "", truncated: false),
            count: RewardRequest.maxItems + 1)
        assertRejected(request(many), .outOfRange, field: "reward_request.prompt_ids")
        assertRejected(reply(.failure(reason: "Raised!", detail: "")), .outOfRange, field: "reward_reply.failure")
        assertRejected(
            reply(.failure(reason: "raised", detail: String(repeating: "é", count: RewardReply.maxDetailBytes))),
            .outOfRange, field: "reward_reply.detail")
        assertRejected(reply(.rewards([1, .nan])), .nonFinite, field: "reward_reply.rewards")
    }

    func testBrokenTextIsRefusedOnDecode() throws {
        // The sample's second response holds "ö" (C3 B6): cut it in half.
        var bytes = SampleFrames.rewardRequest.encoded()
        let umlaut = try XCTUnwrap(bytes.firstIndex(of: 0xC3))
        bytes[umlaut + 1] = 0x41
        assertRejected(bytes, .malformed, field: "reward_request.responses")
    }

    func testOffsetsMustCoverTheBlob() throws {
        // prompt_offsets [0, 6, 23] in the sample: make the last one 22.
        var bytes = SampleFrames.rewardRequest.encoded()
        let last: [UInt8] = [23, 0, 0, 0, 0, 0, 0, 0]
        let at = try XCTUnwrap(
            (0..<(bytes.count - 16)).first { bytes[$0..<($0 + 8)].elementsEqual([6, 0, 0, 0, 0, 0, 0, 0]) && bytes[($0 + 8)..<($0 + 16)].elementsEqual(last) })
        bytes[at + 8] = 22
        assertRejected(bytes, .badOffsets, field: "reward_request.prompt_offsets")
    }
}
