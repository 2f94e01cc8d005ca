import CFleetProto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Frame {
    /// The frame packed as protobuf bytes (tensor data little-endian).
    ///
    /// Encoding does not validate: call `validate()` first if the frame may be malformed. The
    /// corresponding C functions are `fleet__v1__frame__get_packed_size` and `__pack`.
    public func encoded() -> [UInt8] {
        _withPackable { frame in
            let size = fleet__v1__frame__get_packed_size(frame)
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                initialized = Frame._pack(frame, into: UnsafeMutableRawBufferPointer(buffer))
            }
        }
    }

    /// The number of bytes `encoded()` produces.
    public var encodedByteCount: Int {
        _withPackable { fleet__v1__frame__get_packed_size($0) }
    }

    /// Packs the frame straight into memory the caller provides, e.g. a ZeroMQ message, with no
    /// intermediate buffer.
    ///
    /// `allocate` receives the exact packed size and returns a buffer of at least that many bytes
    /// that stays valid until `encode(into:)` returns, plus whatever the caller wants back (say the
    /// message that owns the buffer); that value is returned.
    public func encode<Output>(
        into allocate: (_ byteCount: Int) -> (buffer: UnsafeMutableRawBufferPointer, output: Output)
    ) -> Output {
        _withPackable { frame in
            let size = fleet__v1__frame__get_packed_size(frame)
            let (buffer, output) = allocate(size)
            precondition(buffer.count >= size, "encode(into:) was given \(buffer.count) bytes for \(size)")
            _ = Frame._pack(frame, into: buffer)
            return output
        }
    }

    /// Packs `frame` into `buffer` (which holds at least its packed size); returns the bytes written.
    private static func _pack(
        _ frame: UnsafePointer<Fleet__V1__Frame>, into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        let written = fleet__v1__frame__pack(frame, base.assumingMemoryBound(to: UInt8.self))
        return written
    }

    /// Builds the protobuf-c structs of this frame, with tensor data pointing at the Swift
    /// arrays' own memory, and calls `body` with them. Nothing built here outlives the call.
    func _withPackable<R>(_ body: (UnsafePointer<Fleet__V1__Frame>) -> R) -> R {
        let scratch = _EncodeScratch()
        defer { scratch.release() }
        var frame = Fleet__V1__Frame()
        fleet__v1__frame__init(&frame)

        let envelope = scratch.make(Fleet__V1__Envelope.self, fleet__v1__envelope__init)
        envelope.pointee.schema_version = self.envelope.schemaVersion
        envelope.pointee.sender_id = scratch.cString(self.envelope.senderID)
        envelope.pointee.incarnation = self.envelope.incarnation
        envelope.pointee.sequence = self.envelope.sequence
        frame.envelope = envelope

        switch payload {
        case .trajectoryBatch(let b):
            let m = scratch.make(Fleet__V1__TrajectoryBatch.self, fleet__v1__trajectory_batch__init)
            m.pointee.policy_version = b.policyVersion
            m.pointee.num_steps = b.numSteps
            m.pointee.num_envs = b.numEnvs
            m.pointee.observations = scratch.tensor(b.observations)
            m.pointee.actions = scratch.tensor(b.actions)
            m.pointee.rewards = scratch.tensor(b.rewards)
            m.pointee.terminated = scratch.tensor(b.terminated)
            m.pointee.truncated = scratch.tensor(b.truncated)
            m.pointee.behaviour_log_probs = scratch.tensor(b.behaviourLogProbs)
            m.pointee.final_observation_steps = scratch.tensor(b.finalObservationSteps)
            m.pointee.final_observations = scratch.tensor(b.finalObservations)
            m.pointee.next_observations = scratch.tensor(b.nextObservations)
            m.pointee.episode_returns = scratch.tensor(b.episodeReturns)
            m.pointee.episode_lengths = scratch.tensor(b.episodeLengths)
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_TRAJECTORY_BATCH
            frame.trajectory_batch = m
        case .groupBatch(let b):
            let m = scratch.make(Fleet__V1__GroupBatch.self, fleet__v1__group_batch__init)
            m.pointee.policy_version = b.policyVersion
            m.pointee.group_size = b.groupSize
            m.pointee.prompt_ids = scratch.tensor(b.promptIDs)
            m.pointee.prompt_tokens = scratch.tensor(b.promptTokens)
            m.pointee.prompt_offsets = scratch.tensor(b.promptOffsets)
            m.pointee.response_tokens = scratch.tensor(b.responseTokens)
            m.pointee.response_offsets = scratch.tensor(b.responseOffsets)
            m.pointee.behaviour_log_probs = scratch.tensor(b.behaviourLogProbs)
            m.pointee.rewards = scratch.tensor(b.rewards)
            m.pointee.truncated = scratch.tensor(b.truncated)
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_GROUP_BATCH
            frame.group_batch = m
        case .weights(let w):
            let m = scratch.make(Fleet__V1__Weights.self, fleet__v1__weights__init)
            m.pointee.version = w.version
            m.pointee.model_spec_hash = scratch.binary(w.modelSpecHash)
            let list = scratch.array(of: UnsafeMutablePointer<Fleet__V1__NamedTensor>?.self, count: w.tensors.count)
            for (i, named) in w.tensors.enumerated() {
                let n = scratch.make(Fleet__V1__NamedTensor.self, fleet__v1__named_tensor__init)
                n.pointee.name = scratch.cString(named.name)
                n.pointee.tensor = scratch.tensor(named.tensor)
                list[i] = n
            }
            m.pointee.n_tensors = w.tensors.count
            m.pointee.tensors = list
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_WEIGHTS
            frame.weights = m
        case .hello(let h):
            let m = scratch.make(Fleet__V1__Hello.self, fleet__v1__hello__init)
            m.pointee.spec_hash = scratch.binary(h.specHash)
            m.pointee.num_envs = h.numEnvs
            m.pointee.host = scratch.cString(h.host)
            m.pointee.pid = h.pid
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_HELLO
            frame.hello = m
        case .welcome(let w):
            let m = scratch.make(Fleet__V1__Welcome.self, fleet__v1__welcome__init)
            m.pointee.weights_version = w.weightsVersion
            m.pointee.learner_incarnation = w.learnerIncarnation
            m.pointee.spec_hash = scratch.binary(w.specHash)
            m.pointee.subject = scratch.cString(w.subject)
            m.pointee.policy_spec = scratch.cString(w.policySpec)
            m.pointee.num_envs = w.numEnvs
            m.pointee.num_steps = w.numSteps
            m.pointee.max_policy_lag = w.maxPolicyLag
            m.pointee.group_size = w.groupSize
            m.pointee.observation_space = w.observationSpace.map(scratch.space)
            m.pointee.action_space = w.actionSpace.map(scratch.space)
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_WELCOME
            frame.welcome = m
        case .heartbeat(let h):
            let m = scratch.make(Fleet__V1__Heartbeat.self, fleet__v1__heartbeat__init)
            m.pointee.weights_version = h.weightsVersion
            m.pointee.batches_sent = h.batchesSent
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_HEARTBEAT
            frame.heartbeat = m
        case .snapshotRequest(let s):
            let m = scratch.make(Fleet__V1__SnapshotRequest.self, fleet__v1__snapshot_request__init)
            m.pointee.have_version = s.haveVersion
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_SNAPSHOT_REQUEST
            frame.snapshot_request = m
        case .credit(let c):
            let m = scratch.make(Fleet__V1__Credit.self, fleet__v1__credit__init)
            m.pointee.batches_total = c.batchesTotal
            m.pointee.min_version = c.minVersion
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_CREDIT
            frame.credit = m
        case .stats(let s):
            let m = scratch.make(Fleet__V1__Stats.self, fleet__v1__stats__init)
            let list = scratch.array(of: UnsafeMutablePointer<Fleet__V1__Scalar>?.self, count: s.scalars.count)
            for (i, scalar) in s.scalars.enumerated() {
                let c = scratch.make(Fleet__V1__Scalar.self, fleet__v1__scalar__init)
                c.pointee.name = scratch.cString(scalar.name)
                c.pointee.value = scalar.value
                list[i] = c
            }
            m.pointee.n_scalars = s.scalars.count
            m.pointee.scalars = list
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_STATS
            frame.stats = m
        case .shutdown(let s):
            let m = scratch.make(Fleet__V1__Shutdown.self, fleet__v1__shutdown__init)
            m.pointee.reason = scratch.cString(s.reason)
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_SHUTDOWN
            frame.shutdown = m
        case .statusRequest:
            let m = scratch.make(Fleet__V1__StatusRequest.self, fleet__v1__status_request__init)
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_STATUS_REQUEST
            frame.status_request = m
        case .status(let s):
            let m = scratch.make(Fleet__V1__Status.self, fleet__v1__status__init)
            m.pointee.json = scratch.cString(s.json)
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_STATUS
            frame.status = m
        case .refusal(let r):
            let m = scratch.make(Fleet__V1__Refusal.self, fleet__v1__refusal__init)
            m.pointee.reason = scratch.cString(r.reason)
            m.pointee.detail = scratch.cString(r.detail)
            m.pointee.sequence = r.sequence
            m.pointee.count = r.count
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_REFUSAL
            frame.refusal = m
        case .envSpecRequest:
            let m = scratch.make(Fleet__V1__EnvSpecRequest.self, fleet__v1__env_spec_request__init)
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_ENV_SPEC_REQUEST
            frame.env_spec_request = m
        case .envSpec(let e):
            let m = scratch.make(Fleet__V1__EnvSpec.self, fleet__v1__env_spec__init)
            m.pointee.env_id = scratch.cString(e.envID)
            m.pointee.num_envs = e.numEnvs
            m.pointee.observation_space = scratch.space(e.observationSpace)
            m.pointee.action_space = scratch.space(e.actionSpace)
            m.pointee.has_reward_threshold = e.rewardThreshold != nil ? 1 : 0
            m.pointee.reward_threshold = e.rewardThreshold ?? 0
            m.pointee.max_episode_steps = e.maxEpisodeSteps
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_ENV_SPEC
            frame.env_spec = m
        case .envReset(let r):
            let m = scratch.make(Fleet__V1__EnvReset.self, fleet__v1__env_reset__init)
            m.pointee.seeded = r.seed != nil ? 1 : 0
            m.pointee.seed = r.seed ?? 0
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_ENV_RESET
            frame.env_reset = m
        case .envStep(let e):
            let m = scratch.make(Fleet__V1__EnvStep.self, fleet__v1__env_step__init)
            m.pointee.actions = scratch.tensor(e.actions)
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_ENV_STEP
            frame.env_step = m
        case .envState(let e):
            let m = scratch.make(Fleet__V1__EnvState.self, fleet__v1__env_state__init)
            m.pointee.observations = scratch.tensor(e.observations)
            m.pointee.rewards = scratch.tensor(e.rewards)
            m.pointee.terminated = scratch.tensor(e.terminated)
            m.pointee.truncated = scratch.tensor(e.truncated)
            m.pointee.final_observation_envs = scratch.tensor(e.finalObservationEnvs)
            m.pointee.final_observations = scratch.tensor(e.finalObservations)
            m.pointee.episode_returns = scratch.tensor(e.episodeReturns)
            m.pointee.episode_lengths = scratch.tensor(e.episodeLengths)
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_ENV_STATE
            frame.env_state = m
        case .rewardRequest(let r):
            let m = scratch.make(Fleet__V1__RewardRequest.self, fleet__v1__reward_request__init)
            m.pointee.prompt_ids = scratch.tensor(WireTensor(int64: r.items.map(\.promptID)))
            (m.pointee.prompts, m.pointee.prompt_offsets) = scratch.texts(r.items.map(\.prompt))
            (m.pointee.responses, m.pointee.response_offsets) = scratch.texts(r.items.map(\.response))
            (m.pointee.answers, m.pointee.answer_offsets) = scratch.texts(r.items.map(\.answer))
            (m.pointee.metadata, m.pointee.metadata_offsets) = scratch.texts(r.items.map(\.metadata))
            m.pointee.truncated = scratch.tensor(WireTensor(bool: r.items.map(\.truncated)))
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_REWARD_REQUEST
            frame.reward_request = m
        case .rewardReply(let r):
            let m = scratch.make(Fleet__V1__RewardReply.self, fleet__v1__reward_reply__init)
            m.pointee.request_sequence = r.requestSequence
            switch r.outcome {
            case .rewards(let rewards):
                m.pointee.rewards = scratch.tensor(WireTensor(float64: rewards))
            case .failure(let reason, let detail):
                m.pointee.failure = scratch.cString(reason)
                m.pointee.detail = scratch.cString(detail)
            }
            frame.payload_case = FLEET__V1__FRAME__PAYLOAD_REWARD_REPLY
            frame.reward_reply = m
        }

        // Point every tensor's data at its array's memory, one nested scope per tensor, and pack
        // in the innermost one.
        let pending = scratch.pendingTensors
        func attach(_ i: Int) -> R {
            if i == pending.count { return withUnsafePointer(to: &frame) { body($0) } }
            let (target, storage) = pending[i]
            return storage._withLittleEndianBytes { bytes in
                target.pointee.data = ProtobufCBinaryData(
                    len: bytes.count,
                    data: bytes.baseAddress.map {
                        UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self))
                    })
                return attach(i + 1)
            }
        }
        return attach(0)
    }
}

/// Memory for the protobuf-c structs of one encode, freed all at once by `release()`.
final class _EncodeScratch {
    private var blocks: [UnsafeMutableRawPointer] = []
    /// The C tensors built so far, with the storage whose bytes they still need.
    private(set) var pendingTensors: [(UnsafeMutablePointer<Fleet__V1__Tensor>, WireTensor.Storage)] = []

    deinit { release() }

    func release() {
        for block in blocks { free(block) }
        blocks.removeAll()
        pendingTensors.removeAll()
    }

    /// Zeroed memory for `count` values of `T` (at least one byte, so never NULL in practice).
    func array<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(1, count * MemoryLayout<T>.stride)
        guard let raw = calloc(1, bytes) else { fatalError("FleetWire: out of memory encoding a frame") }
        blocks.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(1, count))
    }

    /// One C message struct, set up by its generated `__init` function.
    func make<T>(_ type: T.Type, _ initialize: (UnsafeMutablePointer<T>?) -> Void) -> UnsafeMutablePointer<T> {
        let p = array(of: T.self, count: 1)
        initialize(p)
        return p
    }

    /// A NUL-terminated copy of `s`. (protobuf-c measures strings with strlen: a string holding
    /// NUL is cut there.)
    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = s.utf8
        let p = array(of: CChar.self, count: utf8.count + 1)  // zeroed: the last byte is the NUL
        for (i, byte) in utf8.enumerated() { p[i] = CChar(bitPattern: byte) }
        return p
    }

    /// A copy of `bytes` as protobuf-c binary data.
    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let p = array(of: UInt8.self, count: bytes.count)
        p.update(from: bytes, count: bytes.count)
        return ProtobufCBinaryData(len: bytes.count, data: p)
    }

    /// Texts as one UTF-8 blob and their `[count + 1]` int64 offsets into it.
    func texts(_ texts: [String]) -> (ProtobufCBinaryData, UnsafeMutablePointer<Fleet__V1__Tensor>) {
        var blob: [UInt8] = []
        var offsets: [Int64] = [0]
        offsets.reserveCapacity(texts.count + 1)
        for text in texts {
            blob.append(contentsOf: text.utf8)
            offsets.append(Int64(blob.count))
        }
        return (binary(blob), tensor(WireTensor(int64: offsets)))
    }

    /// A C space: `discrete` alone, or a box's shape and bounds.
    func space(_ space: WireSpace) -> UnsafeMutablePointer<Fleet__V1__Space> {
        let c = make(Fleet__V1__Space.self, fleet__v1__space__init)
        switch space {
        case .discrete(let n):
            c.pointee.discrete = n
        case .box(let shape, let low, let high, let dtype):
            let dims = array(of: UInt64.self, count: shape.count)
            for (i, d) in shape.enumerated() { dims[i] = UInt64(truncatingIfNeeded: d) }
            c.pointee.n_shape = shape.count
            c.pointee.shape = shape.isEmpty ? nil : dims
            if dtype == .uint8 {
                // Pixel bounds are whole numbers in 0 ... 255 (out-of-range ones saturate).
                func bytes(_ bounds: [Float]) -> [UInt8] { bounds.map { UInt8(Swift.min(Swift.max($0, 0), 255)) } }
                c.pointee.low = tensor(WireTensor(uint8: bytes(low), shape: shape))
                c.pointee.high = tensor(WireTensor(uint8: bytes(high), shape: shape))
            } else {
                c.pointee.low = tensor(WireTensor(float32: low, shape: shape))
                c.pointee.high = tensor(WireTensor(float32: high, shape: shape))
            }
        }
        return c
    }

    /// A C tensor with dtype and shape set; its data is attached later, without a copy.
    func tensor(_ t: WireTensor) -> UnsafeMutablePointer<Fleet__V1__Tensor> {
        let c = make(Fleet__V1__Tensor.self, fleet__v1__tensor__init)
        c.pointee.dtype = Fleet__V1__DType(rawValue: t.dtype.rawValue)
        let shape = array(of: UInt64.self, count: t.shape.count)
        for (i, d) in t.shape.enumerated() { shape[i] = UInt64(truncatingIfNeeded: d) }
        c.pointee.n_shape = t.shape.count
        c.pointee.shape = t.shape.isEmpty ? nil : shape
        pendingTensors.append((c, t.storage))
        return c
    }
}
