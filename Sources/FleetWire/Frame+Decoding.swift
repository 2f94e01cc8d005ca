import CFleetProto

extension Frame {
    /// Decodes and validates a frame.
    ///
    /// The size cap is checked before anything is unpacked; protobuf-c then unpacks through a
    /// budgeted arena (`DecodeLimits.maxUnpackedBytes`) that is released before this returns, and
    /// the result is converted to Swift values and checked as `validate()` does (a decoded frame
    /// always passes `validate()`). Every failure is a `WireError` naming the field. The
    /// corresponding C function is `fleet__v1__frame__unpack`.
    public init(decoding bytes: UnsafeRawBufferPointer, limits: DecodeLimits = .default) throws(WireError) {
        guard bytes.count <= limits.maxFrameBytes else {
            throw WireError(.frameTooLarge, "\(bytes.count) bytes, limit \(limits.maxFrameBytes)")
        }
        let arena = _BudgetArena(budget: limits.maxUnpackedBytes)
        defer { arena.release() }
        var empty: UInt8 = 0
        let unpacked = withUnsafeMutablePointer(to: &empty) { placeholder in
            arena.withAllocator { allocator in
                fleet__v1__frame__unpack(
                    allocator, bytes.count,
                    bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(placeholder))
            }
        }
        guard let unpacked else {
            if arena.refusedAllocation {
                throw WireError(.budgetExceeded, "unpacking needs more than \(arena.budget) bytes")
            }
            throw WireError(.malformed, "protobuf-c could not unpack \(bytes.count) bytes")
        }
        // protobuf-c gives strings as C strings: the sender id is read from the bytes themselves,
        // so that `actor-0\0evil` is not taken for `actor-0` (it breaks the id rule).
        let header = try FrameHeader(scanning: bytes)
        do {
            self = try _Unpacked.frame(unpacked.pointee, senderID: header.envelope?.senderID ?? "")
            try _validate(checkingElements: false)  // floats and token ids were checked while copied
        } catch {
            var error = error
            error.senderID = header.envelope?.senderID
            throw error
        }
    }

    /// Decodes and validates a frame held in an array; see `init(decoding:limits:)`.
    public init(decoding bytes: [UInt8], limits: DecodeLimits = .default) throws(WireError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) -> Frame in try Frame(decoding: raw, limits: limits) }
        }
        self = try result.get()
    }
}

/// Conversion of unpacked protobuf-c structs to Swift values. The checks that must come before a
/// Swift array can be made (known dtype, data length, bool bytes) happen here, and so do the
/// per-element ones (finite floats, token ids >= 0), in the same pass as the copy; the rest is
/// `Frame.validate()`.
enum _Unpacked {
    static func frame(_ m: Fleet__V1__Frame, senderID: String) throws(WireError) -> Frame {
        guard let e = m.envelope?.pointee else { throw WireError(.missingEnvelope, field: "envelope") }
        let envelope = Envelope(
            schemaVersion: e.schema_version, senderID: senderID,
            incarnation: e.incarnation, sequence: e.sequence)
        guard envelope.schemaVersion == Envelope.currentSchemaVersion else {
            throw WireError(
                .unsupportedSchemaVersion, field: "envelope.schema_version",
                "version \(envelope.schemaVersion), this build reads \(Envelope.currentSchemaVersion)")
        }
        return Frame(envelope: envelope, payload: try payload(m))
    }

    static func payload(_ m: Fleet__V1__Frame) throws(WireError) -> Payload {
        switch m.payload_case {
        case FLEET__V1__FRAME__PAYLOAD_TRAJECTORY_BATCH:
            if let b = m.trajectory_batch?.pointee { return .trajectoryBatch(try trajectoryBatch(b)) }
        case FLEET__V1__FRAME__PAYLOAD_GROUP_BATCH:
            if let b = m.group_batch?.pointee { return .groupBatch(try groupBatch(b)) }
        case FLEET__V1__FRAME__PAYLOAD_WEIGHTS:
            if let w = m.weights?.pointee { return .weights(try weights(w)) }
        case FLEET__V1__FRAME__PAYLOAD_HELLO:
            if let h = m.hello?.pointee {
                return .hello(
                    Hello(specHash: bytes(h.spec_hash), numEnvs: h.num_envs, host: string(h.host), pid: h.pid))
            }
        case FLEET__V1__FRAME__PAYLOAD_WELCOME:
            if let w = m.welcome?.pointee {
                return .welcome(
                    Welcome(
                        weightsVersion: w.weights_version, learnerIncarnation: w.learner_incarnation,
                        specHash: bytes(w.spec_hash), subject: try utf8String(w.subject, "welcome.subject"),
                        policySpec: try utf8String(w.policy_spec, "welcome.policy_spec"), numEnvs: w.num_envs,
                        numSteps: w.num_steps, maxPolicyLag: w.max_policy_lag, groupSize: w.group_size,
                        observationSpace: try w.observation_space.map { p throws(WireError) in
                            try space(p.pointee, "welcome.observation_space")
                        },
                        actionSpace: try w.action_space.map { p throws(WireError) in
                            try space(p.pointee, "welcome.action_space")
                        }))
            }
        case FLEET__V1__FRAME__PAYLOAD_HEARTBEAT:
            if let h = m.heartbeat?.pointee {
                return .heartbeat(Heartbeat(weightsVersion: h.weights_version, batchesSent: h.batches_sent))
            }
        case FLEET__V1__FRAME__PAYLOAD_SNAPSHOT_REQUEST:
            if let s = m.snapshot_request?.pointee {
                return .snapshotRequest(SnapshotRequest(haveVersion: s.have_version))
            }
        case FLEET__V1__FRAME__PAYLOAD_CREDIT:
            if let c = m.credit?.pointee {
                return .credit(Credit(batchesTotal: c.batches_total, minVersion: c.min_version))
            }
        case FLEET__V1__FRAME__PAYLOAD_STATS:
            if let s = m.stats?.pointee { return .stats(try stats(s)) }
        case FLEET__V1__FRAME__PAYLOAD_SHUTDOWN:
            if let s = m.shutdown?.pointee { return .shutdown(Shutdown(reason: string(s.reason))) }
        case FLEET__V1__FRAME__PAYLOAD_STATUS_REQUEST:
            if m.status_request != nil { return .statusRequest(StatusRequest()) }
        case FLEET__V1__FRAME__PAYLOAD_STATUS:
            if let s = m.status?.pointee { return .status(Status(json: try utf8String(s.json, "status.json"))) }
        case FLEET__V1__FRAME__PAYLOAD_REFUSAL:
            if let r = m.refusal?.pointee {
                return .refusal(
                    Refusal(reason: string(r.reason), detail: string(r.detail), sequence: r.sequence, count: r.count))
            }
        case FLEET__V1__FRAME__PAYLOAD_ENV_SPEC_REQUEST:
            if m.env_spec_request != nil { return .envSpecRequest(EnvSpecRequest()) }
        case FLEET__V1__FRAME__PAYLOAD_ENV_SPEC:
            if let e = m.env_spec?.pointee { return .envSpec(try envSpec(e)) }
        case FLEET__V1__FRAME__PAYLOAD_ENV_RESET:
            if let r = m.env_reset?.pointee { return .envReset(EnvReset(seed: r.seeded != 0 ? r.seed : nil)) }
        case FLEET__V1__FRAME__PAYLOAD_ENV_STEP:
            if let e = m.env_step?.pointee {
                return .envStep(EnvStep(actions: try required(e.actions, "env_step.actions")))
            }
        case FLEET__V1__FRAME__PAYLOAD_ENV_STATE:
            if let e = m.env_state?.pointee { return .envState(try envState(e)) }
        case FLEET__V1__FRAME__PAYLOAD_REWARD_REQUEST:
            if let r = m.reward_request?.pointee { return .rewardRequest(try rewardRequest(r)) }
        case FLEET__V1__FRAME__PAYLOAD_REWARD_REPLY:
            if let r = m.reward_reply?.pointee { return .rewardReply(try rewardReply(r)) }
        default:
            break
        }
        throw WireError(.missingPayload, "no payload this build knows")
    }

    static func trajectoryBatch(_ b: Fleet__V1__TrajectoryBatch) throws(WireError) -> TrajectoryBatch {
        let p = "trajectory_batch."
        let observations = try required(b.observations, p + "observations")
        return TrajectoryBatch(
            policyVersion: b.policy_version, numSteps: b.num_steps, numEnvs: b.num_envs,
            observations: observations,
            actions: try required(b.actions, p + "actions"),
            rewards: try required(b.rewards, p + "rewards"),
            terminated: try required(b.terminated, p + "terminated"),
            truncated: try required(b.truncated, p + "truncated"),
            behaviourLogProbs: try required(b.behaviour_log_probs, p + "behaviour_log_probs"),
            finalObservationSteps: try tensor(b.final_observation_steps, p + "final_observation_steps")
                ?? .empty(.int64),
            finalObservations: try tensor(b.final_observations, p + "final_observations")
                ?? TrajectoryBatch.emptyFinalObservations(like: observations),
            nextObservations: try required(b.next_observations, p + "next_observations"),
            episodeReturns: try tensor(b.episode_returns, p + "episode_returns") ?? .empty(.float32),
            episodeLengths: try tensor(b.episode_lengths, p + "episode_lengths") ?? .empty(.int64))
    }

    static func groupBatch(_ b: Fleet__V1__GroupBatch) throws(WireError) -> GroupBatch {
        let p = "group_batch."
        return GroupBatch(
            policyVersion: b.policy_version, groupSize: b.group_size,
            promptIDs: try required(b.prompt_ids, p + "prompt_ids"),
            promptTokens: try required(b.prompt_tokens, p + "prompt_tokens", nonNegativeInt32: true),
            promptOffsets: try required(b.prompt_offsets, p + "prompt_offsets"),
            responseTokens: try required(b.response_tokens, p + "response_tokens", nonNegativeInt32: true),
            responseOffsets: try required(b.response_offsets, p + "response_offsets"),
            behaviourLogProbs: try required(b.behaviour_log_probs, p + "behaviour_log_probs"),
            rewards: try required(b.rewards, p + "rewards"),
            truncated: try required(b.truncated, p + "truncated"))
    }

    static func weights(_ w: Fleet__V1__Weights) throws(WireError) -> Weights {
        var tensors: [NamedTensor] = []
        tensors.reserveCapacity(w.n_tensors)
        for i in 0..<w.n_tensors {
            guard let named = w.tensors?[i]?.pointee else {
                throw WireError(.missingField, field: "weights.tensors[\(i)]")
            }
            tensors.append(
                NamedTensor(name: string(named.name), tensor: try required(named.tensor, "weights.tensors[\(i)].tensor")))
        }
        return Weights(version: w.version, modelSpecHash: bytes(w.model_spec_hash), tensors: tensors)
    }

    static func envSpec(_ e: Fleet__V1__EnvSpec) throws(WireError) -> EnvSpec {
        guard let observation = e.observation_space?.pointee else {
            throw WireError(.missingField, field: "env_spec.observation_space")
        }
        guard let action = e.action_space?.pointee else { throw WireError(.missingField, field: "env_spec.action_space") }
        return EnvSpec(
            envID: string(e.env_id), numEnvs: e.num_envs,
            observationSpace: try space(observation, "env_spec.observation_space"),
            actionSpace: try space(action, "env_spec.action_space"),
            rewardThreshold: e.has_reward_threshold != 0 ? e.reward_threshold : nil,
            maxEpisodeSteps: e.max_episode_steps)
    }

    static func envState(_ e: Fleet__V1__EnvState) throws(WireError) -> EnvState {
        let p = "env_state."
        let observations = try required(e.observations, p + "observations")
        return EnvState(
            observations: observations,
            rewards: try required(e.rewards, p + "rewards"),
            terminated: try required(e.terminated, p + "terminated"),
            truncated: try required(e.truncated, p + "truncated"),
            finalObservationEnvs: try tensor(e.final_observation_envs, p + "final_observation_envs") ?? .empty(.int64),
            finalObservations: try tensor(e.final_observations, p + "final_observations")
                ?? .empty(.float32, trailing: Array(observations.shape.dropFirst())),
            episodeReturns: try tensor(e.episode_returns, p + "episode_returns") ?? .empty(.float64),
            episodeLengths: try tensor(e.episode_lengths, p + "episode_lengths") ?? .empty(.int64))
    }

    static func rewardRequest(_ r: Fleet__V1__RewardRequest) throws(WireError) -> RewardRequest {
        let p = "reward_request."
        let ids = try required(r.prompt_ids, p + "prompt_ids")
        try _Check(checksElements: true).dtype(ids, p + "prompt_ids", [.int64])
        guard ids.shape.count == 1 else {
            throw WireError(.shapeMismatch, field: p + "prompt_ids", "shape \(ids.shape), expected [B]")
        }
        let count = ids.count
        guard count <= RewardRequest.maxItems else {
            throw WireError(.outOfRange, field: p + "prompt_ids", "\(count) items, at most \(RewardRequest.maxItems)")
        }
        let prompts = try texts(r.prompts, r.prompt_offsets, count, p + "prompts", p + "prompt_offsets")
        let responses = try texts(r.responses, r.response_offsets, count, p + "responses", p + "response_offsets")
        let answers = try texts(r.answers, r.answer_offsets, count, p + "answers", p + "answer_offsets")
        let metadata = try texts(r.metadata, r.metadata_offsets, count, p + "metadata", p + "metadata_offsets")
        let truncated = try required(r.truncated, p + "truncated")
        try _Check(checksElements: true).tensor(truncated, p + "truncated", .bool, [count])
        let ids64 = ids.int64 ?? [], flags = truncated.bool ?? []
        return RewardRequest(
            items: (0..<count).map { i in
                RewardItem(
                    promptID: ids64[i], prompt: prompts[i], response: responses[i], answer: answers[i],
                    metadata: metadata[i], truncated: flags[i])
            })
    }

    static func rewardReply(_ r: Fleet__V1__RewardReply) throws(WireError) -> RewardReply {
        let p = "reward_reply."
        let failure = try utf8String(r.failure, p + "failure")
        let rewards = try tensor(r.rewards, p + "rewards")
        if failure.isEmpty {
            guard let rewards else { throw WireError(.missingField, field: p + "rewards", "no rewards and no failure") }
            guard rewards.dtype == .float64, rewards.shape.count == 1, let values = rewards.float64 else {
                throw WireError(
                    .shapeMismatch, field: p + "rewards", "\(rewards.dtype) \(rewards.shape), expected float64 [B]")
            }
            return RewardReply(requestSequence: r.request_sequence, outcome: .rewards(values))
        }
        guard rewards == nil else {
            throw WireError(.inconsistent, field: p + "rewards", "rewards with the failure \(failure)")
        }
        return RewardReply(
            requestSequence: r.request_sequence,
            outcome: .failure(reason: failure, detail: try utf8String(r.detail, p + "detail")))
    }

    /// `count` texts from a UTF-8 blob and its `[count + 1]` offsets; each must be valid UTF-8.
    static func texts(
        _ blob: ProtobufCBinaryData, _ offsetsTensor: UnsafeMutablePointer<Fleet__V1__Tensor>?, _ count: Int,
        _ blobPath: String, _ offsetsPath: String
    ) throws(WireError) -> [String] {
        let offsets = try required(offsetsTensor, offsetsPath)
        let bytes = UnsafeRawBufferPointer(start: blob.data, count: blob.data == nil ? 0 : blob.len)
        try _Check(checksElements: true).offsets(offsets, offsetsPath, entries: count + 1, end: bytes.count)
        let bounds = offsets.int64 ?? []
        var texts: [String] = []
        texts.reserveCapacity(count)
        for i in 0..<count {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[Int(bounds[i])..<Int(bounds[i + 1])])
            guard let text = String(validating: slice, as: UTF8.self) else {
                throw WireError(.malformed, field: blobPath, "item \(i) is not valid UTF-8")
            }
            texts.append(text)
        }
        return texts
    }

    /// A space: `discrete` > 0 alone, or a box's shape with float32 bounds of that shape (infinite
    /// bounds allowed, NaN refused).
    static func space(_ s: Fleet__V1__Space, _ path: String) throws(WireError) -> WireSpace {
        if s.discrete > 0 {
            guard s.n_shape == 0, s.low == nil, s.high == nil else {
                throw WireError(.inconsistent, field: path, "a discrete space with a shape or bounds")
            }
            return .discrete(s.discrete)
        }
        var shape: [Int] = []
        for i in 0..<s.n_shape {
            guard let dims = s.shape, let d = Int(exactly: dims[i]), d >= 1, d <= 1 << 24 else {
                throw WireError(.outOfRange, field: path + ".shape", "dimension \(i) is 0 or too large")
            }
            shape.append(d)
        }
        guard !shape.isEmpty, let count = WireTensor.elementCount(of: shape), count <= 1 << 24 else {
            throw WireError(.shapeMismatch, field: path + ".shape", "a box needs a shape of at most 2^24 elements")
        }
        // Bounds are float32, or uint8 for a box of pixels; both of the same dtype.
        func bounds(_ t: UnsafeMutablePointer<Fleet__V1__Tensor>?, _ name: String) throws(WireError) -> (DType, [Float]) {
            let field = path + "." + name
            guard let tensor = try tensor(t, field, allowingInfinity: true) else {
                throw WireError(.missingField, field: field, "a box needs bounds")
            }
            guard tensor.shape == shape else {
                throw WireError(.shapeMismatch, field: field, "\(tensor.dtype) \(tensor.shape), expected float32 or uint8 \(shape)")
            }
            switch tensor.storage {
            case .float32(let values): return (.float32, values)
            case .uint8(let values): return (.uint8, values.map(Float.init))
            default:
                throw WireError(.wrongDType, field: field, "\(tensor.dtype), expected float32 or uint8")
            }
        }
        let (lowType, low) = try bounds(s.low, "low"), (highType, high) = try bounds(s.high, "high")
        guard lowType == highType else {
            throw WireError(.inconsistent, field: path, "low is \(lowType), high is \(highType)")
        }
        if let i = low.indices.first(where: { !(low[$0] <= high[$0]) }) {
            throw WireError(.inconsistent, field: path, "low \(low[i]) above high \(high[i]) at element \(i)")
        }
        return .box(shape: shape, low: low, high: high, dtype: lowType)
    }

    static func stats(_ s: Fleet__V1__Stats) throws(WireError) -> Stats {
        var scalars: [Scalar] = []
        scalars.reserveCapacity(s.n_scalars)
        for i in 0..<s.n_scalars {
            guard let c = s.scalars?[i]?.pointee else { throw WireError(.missingField, field: "stats.scalars[\(i)]") }
            scalars.append(Scalar(name: string(c.name), value: c.value))
        }
        return Stats(scalars: scalars)
    }

    /// The string, with any bytes that are not valid UTF-8 replaced by U+FFFD.
    static func string(_ p: UnsafeMutablePointer<CChar>?) -> String {
        p.map { String(cString: $0) } ?? ""
    }

    /// The string, refused (`malformed`, at `path`) unless it is valid UTF-8 as proto3 requires:
    /// for text that is passed on whole, like `Status.json`, rather than only logged.
    static func utf8String(_ p: UnsafeMutablePointer<CChar>?, _ path: String) throws(WireError) -> String {
        guard let p else { return "" }
        if let s = String(validatingCString: p) { return s }
        var count = 0
        while p[count] != 0 { count += 1 }
        let bytes = UnsafeRawBufferPointer(start: p, count: count)
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while case .valid(let scalar) = parser.parseScalar(from: &iterator) { offset += scalar.count }
        throw WireError(.malformed, field: path, "not valid UTF-8 at byte \(offset) of \(count)")
    }

    static func bytes(_ b: ProtobufCBinaryData) -> [UInt8] {
        guard b.len > 0, let data = b.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: b.len))
    }

    static func required(
        _ p: UnsafeMutablePointer<Fleet__V1__Tensor>?, _ path: @autoclosure () -> String, nonNegativeInt32: Bool = false
    ) throws(WireError) -> WireTensor {
        guard let t = try tensor(p, path(), nonNegativeInt32: nonNegativeInt32) else {
            throw WireError(.missingField, field: path(), "required tensor is absent")
        }
        return t
    }

    /// The tensor, or nil when the sub-message is absent. Float elements are checked to be finite
    /// and, with `nonNegativeInt32` (token ids), int32 elements to be >= 0, while being copied.
    static func tensor(
        _ p: UnsafeMutablePointer<Fleet__V1__Tensor>?, _ path: @autoclosure () -> String, nonNegativeInt32: Bool = false,
        allowingInfinity: Bool = false
    ) throws(WireError) -> WireTensor? {
        guard let t = p?.pointee else { return nil }
        guard let raw = UInt32(exactly: t.dtype.rawValue), let dtype = DType(rawValue: raw) else {
            throw WireError(.unknownDType, field: path(), "dtype \(t.dtype.rawValue)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(t.n_shape)
        var count = 1
        for i in 0..<t.n_shape {
            guard let dims = t.shape, let d = Int(exactly: dims[i]) else {
                throw WireError(.shapeMismatch, field: path(), "dimension \(i) is too large")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw WireError(.shapeMismatch, field: path(), "element count overflows") }
            count = product
            shape.append(d)
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.elementSize)
        guard !overflow, byteCount == t.data.len else {
            throw WireError(
                .shapeMismatch, field: path(),
                "\(t.data.len) data bytes for shape \(shape) of \(dtype)")
        }
        let data = UnsafeRawBufferPointer(start: t.data.data, count: t.data.data == nil ? 0 : t.data.len)
        guard data.count == byteCount else {
            throw WireError(.shapeMismatch, field: path(), "no data for shape \(shape)")
        }
        let storage: WireTensor.Storage
        switch dtype {
        case .float32:
            // Every float field must be finite: check while copying, in the same pass.
            let (values, finite) = _finiteFloat32FromLittleEndian(data, count: count)
            if !finite, allowingInfinity, !values.contains(where: \.isNaN) {
                storage = .float32(values)
                break
            }
            if !finite { throw WireError(.nonFinite, field: path(), "element \(_firstNonFinite(values) ?? 0)") }
            storage = .float32(values)
        case .float64:
            let values = _arrayFromLittleEndian(Double.self, data, count: count)
            if let index = _firstNonFinite(values) { throw WireError(.nonFinite, field: path(), "element \(index)") }
            storage = .float64(values)
        case .int32:
            let (values, anyNegative) = _int32FromLittleEndian(data, count: count)
            if anyNegative && nonNegativeInt32, let index = values.firstIndex(where: { $0 < 0 }) {
                throw WireError(.outOfRange, field: path(), "value \(values[index]) at index \(index)")
            }
            storage = .int32(values)
        case .int64: storage = .int64(_arrayFromLittleEndian(Int64.self, data, count: count))
        case .uint8: storage = .uint8(_arrayFromLittleEndian(UInt8.self, data, count: count))
        case .bool:
            var stray: UInt8 = 0
            for byte in data { stray |= byte & 0xFE }
            if stray != 0 {
                let index = data.firstIndex { $0 > 1 } ?? 0
                throw WireError(.badBool, field: path(), "byte \(data[index]) at index \(index)")
            }
            storage = .bool(_arrayFromLittleEndian(Bool.self, data, count: count))
        }
        return WireTensor(shape: shape, storage: storage)
    }
}
