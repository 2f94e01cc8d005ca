extension Frame {
    /// Checks everything the learner relies on before use: the schema version and sender id, then the
    /// payload's own rules (see each payload type). Throws the first failure found, naming its
    /// field path. A decoded frame has already passed this.
    public func validate() throws(WireError) {
        try _validate(checkingElements: true)
    }

    /// `validate()`, optionally without the per-element checks (finite floats, token ids >= 0) for
    /// decoded frames, whose elements were checked while they were copied.
    func _validate(checkingElements: Bool) throws(WireError) {
        guard envelope.schemaVersion == Envelope.currentSchemaVersion else {
            throw WireError(
                .unsupportedSchemaVersion, field: "envelope.schema_version",
                "version \(envelope.schemaVersion), this build reads \(Envelope.currentSchemaVersion)")
        }
        if let problem = Envelope.senderIDProblem(envelope.senderID.utf8) {
            throw WireError(.badSenderID, field: "envelope.sender_id", problem)
        }
        switch payload {
        case .trajectoryBatch(let b): try b._validate(checkingElements: checkingElements)
        case .groupBatch(let b): try b._validate(checkingElements: checkingElements)
        case .weights(let w): try w._validate(checkingElements: checkingElements)
        case .stats(let s): try s.validate()
        case .envSpec(let e): try e.validate()
        case .envStep(let e): try e._validate(checkingElements: checkingElements)
        case .envState(let e): try e._validate(checkingElements: checkingElements)
        case .rewardRequest(let r): try r.validate()
        case .rewardReply(let r): try r._validate(checkingElements: checkingElements)
        case .hello(let hello):
            // A host name is only logged and reported; past the limit it is a flood, not a name.
            guard hello.host.utf8.count <= Hello.maxHostBytes else {
                throw WireError(
                    .outOfRange, field: "hello.host", "\(hello.host.utf8.count) bytes, at most \(Hello.maxHostBytes)")
            }
        // A Swift string is always valid UTF-8; decoding refuses a `status.json` that is not.
        case .welcome, .heartbeat, .snapshotRequest, .shutdown, .statusRequest, .status, .refusal,
            .envSpecRequest, .envReset, .credit:
            break
        }
    }
}

extension TrajectoryBatch {
    /// Checks dtypes, shapes against T and N, finiteness and the final-observation bookkeeping
    /// described on `TrajectoryBatch`. Field paths start with `trajectory_batch.`.
    public func validate() throws(WireError) {
        try _validate(checkingElements: true)
    }

    func _validate(checkingElements: Bool) throws(WireError) {
        let check = _Check(checksElements: checkingElements)
        let p = "trajectory_batch."
        let t = Int(numSteps)
        let n = Int(numEnvs)

        let obsPath = p + "observations"
        try check.wellFormed(observations, obsPath)
        try check.dtype(observations, obsPath, [.float32, .uint8])
        guard observations.shape.count >= 2, Array(observations.shape.prefix(2)) == [t, n] else {
            throw WireError(
                .shapeMismatch, field: obsPath, "shape \(observations.shape), expected [\(t), \(n), ...]")
        }
        let obsDims = Array(observations.shape.dropFirst(2))
        try check.finite(observations, obsPath)

        let actionsPath = p + "actions"
        try check.wellFormed(actions, actionsPath)
        switch actions.dtype {
        case .int64:
            try check.shape(actions, actionsPath, [t, n])
            // A discrete action is an index; its upper bound is the learner's to check.
            if let i = (actions.int64 ?? []).firstIndex(where: { $0 < 0 }) {
                throw WireError(.outOfRange, field: actionsPath, "action \(actions.int64?[i] ?? 0) at index \(i)")
            }
        case .float32:
            guard actions.shape.count == 3, Array(actions.shape.prefix(2)) == [t, n] else {
                throw WireError(
                    .shapeMismatch, field: actionsPath, "shape \(actions.shape), expected [\(t), \(n), act]")
            }
            try check.finite(actions, actionsPath)
        default:
            throw WireError(.wrongDType, field: actionsPath, "\(actions.dtype), expected int64 or float32")
        }

        try check.tensor(rewards, p + "rewards", .float32, [t, n])
        try check.tensor(terminated, p + "terminated", .bool, [t, n])
        try check.tensor(truncated, p + "truncated", .bool, [t, n])
        try check.tensor(behaviourLogProbs, p + "behaviour_log_probs", .float32, [t, n])

        let stepsPath = p + "final_observation_steps"
        try check.wellFormed(finalObservationSteps, stepsPath)
        try check.dtype(finalObservationSteps, stepsPath, [.int64])
        guard finalObservationSteps.shape.count == 1 else {
            throw WireError(.shapeMismatch, field: stepsPath, "shape \(finalObservationSteps.shape), expected [K]")
        }
        let k = finalObservationSteps.count
        try check.tensor(
            finalObservations, p + "final_observations", observations.dtype, [k] + obsDims)
        try check.tensor(
            nextObservations, p + "next_observations", observations.dtype, [n] + obsDims)

        let returnsPath = p + "episode_returns"
        try check.wellFormed(episodeReturns, returnsPath)
        try check.dtype(episodeReturns, returnsPath, [.float32])
        guard episodeReturns.shape.count == 1 else {
            throw WireError(.shapeMismatch, field: returnsPath, "shape \(episodeReturns.shape), expected [E]")
        }
        try check.finite(episodeReturns, returnsPath)
        let lengthsPath = p + "episode_lengths"
        try check.tensor(episodeLengths, lengthsPath, .int64, [episodeReturns.count])
        if let i = (episodeLengths.int64 ?? []).firstIndex(where: { $0 < 1 }) {
            throw WireError(.outOfRange, field: lengthsPath, "length \(episodeLengths.int64?[i] ?? 0) at index \(i)")
        }

        // Every truncated step, and only those, has a final observation, in increasing order.
        try check.listsExactly(
            finalObservationSteps, stepsPath, flags: truncated.bool ?? [], item: "step", flagged: "truncated",
            counted: "truncated steps")
    }
}

extension GroupBatch {
    /// Checks dtypes, offsets, counts against P and G, token ids and finiteness as described on
    /// `GroupBatch`. Field paths start with `group_batch.`.
    public func validate() throws(WireError) {
        try _validate(checkingElements: true)
    }

    func _validate(checkingElements: Bool) throws(WireError) {
        let check = _Check(checksElements: checkingElements)
        let p = "group_batch."
        guard groupSize >= 1 else {
            throw WireError(.outOfRange, field: p + "group_size", "group size 0, expected >= 1")
        }
        let idsPath = p + "prompt_ids"
        try check.wellFormed(promptIDs, idsPath)
        try check.dtype(promptIDs, idsPath, [.int64])
        guard promptIDs.shape.count == 1 else {
            throw WireError(.shapeMismatch, field: idsPath, "shape \(promptIDs.shape), expected [P]")
        }
        let prompts = promptIDs.count
        let (responses, overflow) = prompts.multipliedReportingOverflow(by: Int(groupSize))
        guard !overflow, responses < Int.max else {
            throw WireError(.shapeMismatch, field: idsPath, "\(prompts) prompts x \(groupSize) overflows")
        }

        let promptTokenCount = try check.tokens(promptTokens, p + "prompt_tokens")
        try check.offsets(promptOffsets, p + "prompt_offsets", entries: prompts + 1, end: promptTokenCount)
        let responseTokenCount = try check.tokens(responseTokens, p + "response_tokens")
        try check.offsets(
            responseOffsets, p + "response_offsets", entries: responses + 1, end: responseTokenCount)
        try check.tensor(behaviourLogProbs, p + "behaviour_log_probs", .float32, [responseTokenCount])
        try check.tensor(rewards, p + "rewards", .float32, [responses])
        try check.tensor(truncated, p + "truncated", .bool, [responses])
    }
}

extension Weights {
    /// Checks that tensor names are non-empty and unique and that every tensor is well formed
    /// with finite floats. Field paths look like `weights.tensors[2].name`.
    public func validate() throws(WireError) {
        try _validate(checkingElements: true)
    }

    func _validate(checkingElements: Bool) throws(WireError) {
        let check = _Check(checksElements: checkingElements)
        var seen = Set<String>()
        for (i, named) in tensors.enumerated() {
            let path = "weights.tensors[\(i)]"
            guard !named.name.isEmpty else { throw WireError(.emptyName, field: path + ".name") }
            guard seen.insert(named.name).inserted else {
                throw WireError(.duplicateName, field: path + ".name", "\"\(named.name)\" occurs twice")
            }
            try check.wellFormed(named.tensor, path + ".tensor")
            try check.finite(named.tensor, path + ".tensor")
        }
    }
}

extension EnvSpec {
    /// Checks that there is at least one copy and that observations are a box.
    public func validate() throws(WireError) {
        guard numEnvs >= 1 else { throw WireError(.outOfRange, field: "env_spec.num_envs", "0 copies") }
        guard case .box = observationSpace else {
            throw WireError(.inconsistent, field: "env_spec.observation_space", "observations must be a box")
        }
    }
}

extension EnvStep {
    /// Checks that actions are `[N]` int64 indices >= 0 or `[N, act...]` finite float32.
    public func validate() throws(WireError) { try _validate(checkingElements: true) }

    func _validate(checkingElements: Bool) throws(WireError) {
        let check = _Check(checksElements: checkingElements)
        let path = "env_step.actions"
        try check.wellFormed(actions, path)
        switch actions.dtype {
        case .int64:
            guard actions.shape.count == 1 else {
                throw WireError(.shapeMismatch, field: path, "shape \(actions.shape), expected [N]")
            }
            if let i = (actions.int64 ?? []).firstIndex(where: { $0 < 0 }) {
                throw WireError(.outOfRange, field: path, "action \(actions.int64?[i] ?? 0) at index \(i)")
            }
        case .float32:
            guard actions.shape.count >= 2 else {
                throw WireError(.shapeMismatch, field: path, "shape \(actions.shape), expected [N, act...]")
            }
            try check.finite(actions, path)
        default:
            throw WireError(.wrongDType, field: path, "\(actions.dtype), expected int64 or float32")
        }
    }
}

extension EnvState {
    /// Checks dtypes and shapes against N (observations float32 or uint8, final observations of the
    /// same dtype), finiteness, and that exactly the ended copies have a final observation and an
    /// episode, in increasing order.
    public func validate() throws(WireError) { try _validate(checkingElements: true) }

    func _validate(checkingElements: Bool) throws(WireError) {
        let check = _Check(checksElements: checkingElements)
        let p = "env_state."
        let obsPath = p + "observations"
        try check.wellFormed(observations, obsPath)
        try check.dtype(observations, obsPath, [.float32, .uint8])
        guard observations.shape.count >= 2 else {
            throw WireError(.shapeMismatch, field: obsPath, "shape \(observations.shape), expected [N, obs...]")
        }
        try check.finite(observations, obsPath)
        let n = observations.shape[0]
        let obsDims = Array(observations.shape.dropFirst())
        try check.tensor(rewards, p + "rewards", .float64, [n])
        try check.tensor(terminated, p + "terminated", .bool, [n])
        try check.tensor(truncated, p + "truncated", .bool, [n])
        let envsPath = p + "final_observation_envs"
        try check.wellFormed(finalObservationEnvs, envsPath)
        try check.dtype(finalObservationEnvs, envsPath, [.int64])
        guard finalObservationEnvs.shape.count == 1 else {
            throw WireError(.shapeMismatch, field: envsPath, "shape \(finalObservationEnvs.shape), expected [K]")
        }
        let k = finalObservationEnvs.count
        try check.tensor(finalObservations, p + "final_observations", observations.dtype, [k] + obsDims)
        try check.tensor(episodeReturns, p + "episode_returns", .float64, [k])
        let lengthsPath = p + "episode_lengths"
        try check.tensor(episodeLengths, lengthsPath, .int64, [k])
        if let i = (episodeLengths.int64 ?? []).firstIndex(where: { $0 < 1 }) {
            throw WireError(.outOfRange, field: lengthsPath, "length \(episodeLengths.int64?[i] ?? 0) at index \(i)")
        }
        // Every copy whose episode ended, and only those, has a final observation, in increasing order.
        let ended = zip(terminated.bool ?? [], truncated.bool ?? []).map { $0 || $1 }
        try check.listsExactly(
            finalObservationEnvs, envsPath, flags: ended, item: "copy", flagged: "ended", counted: "ended episodes")
    }
}

extension RewardRequest {
    /// Checks that there are at most ``maxItems`` items and that no text is longer than
    /// ``maxTextBytes`` UTF-8 bytes. Field paths start with `reward_request.`.
    public func validate() throws(WireError) {
        guard items.count <= Self.maxItems else {
            throw WireError(.outOfRange, field: "reward_request.prompt_ids", "\(items.count) items, at most \(Self.maxItems)")
        }
        for (i, item) in items.enumerated() {
            for (field, text) in [
                ("prompts", item.prompt), ("responses", item.response), ("answers", item.answer),
                ("metadata", item.metadata),
            ] where text.utf8.count > Self.maxTextBytes {
                throw WireError(
                    .outOfRange, field: "reward_request." + field,
                    "item \(i) holds \(text.utf8.count) bytes, at most \(Self.maxTextBytes)")
            }
        }
    }
}

extension RewardReply {
    /// Checks finite rewards, at most ``RewardRequest/maxItems`` of them, or a failure label of
    /// lowercase letters and underscores (at most ``maxReasonBytes``) with a detail of at most
    /// ``maxDetailBytes``. Field paths start with `reward_reply.`.
    public func validate() throws(WireError) { try _validate(checkingElements: true) }

    func _validate(checkingElements: Bool) throws(WireError) {
        let p = "reward_reply."
        switch outcome {
        case .rewards(let rewards):
            guard rewards.count <= RewardRequest.maxItems else {
                throw WireError(.outOfRange, field: p + "rewards", "\(rewards.count) rewards, at most \(RewardRequest.maxItems)")
            }
            if checkingElements, let i = _firstNonFinite(rewards) {
                throw WireError(.nonFinite, field: p + "rewards", "element \(i)")
            }
        case .failure(let reason, let detail):
            guard !reason.isEmpty, reason.utf8.count <= Self.maxReasonBytes,
                reason.utf8.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_") })
            else {
                throw WireError(
                    .outOfRange, field: p + "failure",
                    "\"\(reason.prefix(Self.maxReasonBytes))\" is not a label of at most \(Self.maxReasonBytes) letters a-z and _")
            }
            guard detail.utf8.count <= Self.maxDetailBytes else {
                throw WireError(
                    .outOfRange, field: p + "detail", "\(detail.utf8.count) bytes, at most \(Self.maxDetailBytes)")
            }
        }
    }
}

extension Stats {
    /// Checks that every scalar has a name. Values may be NaN or infinite.
    public func validate() throws(WireError) {
        for (i, scalar) in scalars.enumerated() where scalar.name.isEmpty {
            throw WireError(.emptyName, field: "stats.scalars[\(i)].name")
        }
    }
}

/// The checks payload validation is made of.
struct _Check {
    /// Whether `finite` and the token-id check look at every element; decoding already did while
    /// copying them.
    let checksElements: Bool

    /// The element count matches the shape.
    func wellFormed(_ t: WireTensor, _ path: String) throws(WireError) {
        guard let expected = t.shapeElementCount, expected == t.count else {
            throw WireError(.shapeMismatch, field: path, "\(t.count) elements for shape \(t.shape)")
        }
    }

    func dtype(_ t: WireTensor, _ path: String, _ allowed: [DType]) throws(WireError) {
        guard allowed.contains(t.dtype) else {
            let names = allowed.map(\.description).joined(separator: " or ")
            throw WireError(.wrongDType, field: path, "\(t.dtype), expected \(names)")
        }
    }

    func shape(_ t: WireTensor, _ path: String, _ expected: [Int]) throws(WireError) {
        guard t.shape == expected else {
            throw WireError(.shapeMismatch, field: path, "shape \(t.shape), expected \(expected)")
        }
    }

    /// Floats are finite (other dtypes pass).
    func finite(_ t: WireTensor, _ path: String) throws(WireError) {
        guard checksElements else { return }
        let index: Int?
        switch t.storage {
        case .float32(let v): index = _firstNonFinite(v)
        case .float64(let v): index = _firstNonFinite(v)
        default: index = nil
        }
        if let index { throw WireError(.nonFinite, field: path, "element \(index)") }
    }

    /// Well formed, of `dtype`, of shape `expected`, finite.
    func tensor(_ t: WireTensor, _ path: String, _ dtype: DType, _ expected: [Int]) throws(WireError) {
        try wellFormed(t, path)
        try self.dtype(t, path, [dtype])
        try shape(t, path, expected)
        try finite(t, path)
    }

    /// A flat int32 token array with ids >= 0; returns its length.
    func tokens(_ t: WireTensor, _ path: String) throws(WireError) -> Int {
        try wellFormed(t, path)
        try dtype(t, path, [.int32])
        guard t.shape.count == 1 else {
            throw WireError(.shapeMismatch, field: path, "shape \(t.shape), expected one dimension")
        }
        guard checksElements else { return t.count }
        let tokens = t.int32 ?? []
        var signs: Int32 = 0
        for i in tokens.indices { signs |= tokens[i] }
        if signs < 0, let i = tokens.firstIndex(where: { $0 < 0 }) {
            throw WireError(.outOfRange, field: path, "token id \(tokens[i]) at index \(i)")
        }
        return t.count
    }

    /// The int64 indices `t` (one per final observation) name, in increasing order, exactly the
    /// positions set in `flags`; `item`, `flagged` and `counted` word the errors.
    func listsExactly(
        _ t: WireTensor, _ path: String, flags: [Bool], item: String, flagged: String, counted: String
    ) throws(WireError) {
        var previous = -1
        for (i, index) in (t.int64 ?? []).enumerated() {
            guard index >= 0, index < Int64(flags.count) else {
                throw WireError(.outOfRange, field: path, "\(item) \(index) at index \(i), expected 0 ..< \(flags.count)")
            }
            let position = Int(index)
            guard position > previous else {
                throw WireError(.inconsistent, field: path, "\(item) \(position) at index \(i) is not after \(previous)")
            }
            guard flags[position] else {
                throw WireError(.inconsistent, field: path, "\(item) \(position) at index \(i) is not \(flagged)")
            }
            previous = position
        }
        let flaggedCount = flags.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard flaggedCount == t.count else {
            throw WireError(.inconsistent, field: path, "\(t.count) final observations for \(flaggedCount) \(counted)")
        }
    }

    /// int64 [entries] offsets starting at 0, non-decreasing, ending at `end`.
    func offsets(_ t: WireTensor, _ path: String, entries: Int, end: Int) throws(WireError) {
        try wellFormed(t, path)
        try dtype(t, path, [.int64])
        try shape(t, path, [entries])
        let offsets = t.int64 ?? []
        guard offsets.first == 0 else {
            throw WireError(.badOffsets, field: path, "first offset \(offsets.first ?? 0), expected 0")
        }
        for i in offsets.indices.dropFirst() where offsets[i] < offsets[i - 1] {
            throw WireError(.badOffsets, field: path, "offset \(offsets[i]) at index \(i) is below \(offsets[i - 1])")
        }
        guard offsets.last == Int64(end) else {
            throw WireError(.badOffsets, field: path, "last offset \(offsets.last ?? 0), expected \(end)")
        }
    }
}
