/// An algorithm's part of a checkpoint: its learner's state as a tensor archive (bit for bit:
/// parameters, optimizer moments, counters, generator states, normalizer statistics) and its
/// bookkeeping for the summary (JSON, in `state.json`).
package struct AlgorithmCheckpoint: Equatable {
    package var tensors: TensorArchive
    package var bookkeeping: AlgorithmBookkeeping
}

/// What an algorithm counts besides its learner: one of the two is set.
package struct AlgorithmBookkeeping: Codable, Equatable {
    package var ppo: PPOBookkeeping?
    package var language: LanguageBookkeeping?
}

/// A rollout algorithm's bookkeeping (PPO, TRPO, REINFORCE; `ppo` in `state.json`): env steps trained and the returns of finished episodes (mean of the last
/// 100, `solved_at_step`).
package struct PPOBookkeeping: Codable, Equatable {
    package var stepsTrained: Int
    package var returns: ReturnTracker

    package enum CodingKeys: String, CodingKey {
        case returns
        case stepsTrained = "steps_trained"
    }
}

/// A language run's bookkeeping: responses trained, dynamic sampling's counts, and the held-out
/// evaluation so far (its sampling generator is in the tensor archive, `evaluation.generator`).
package struct LanguageBookkeeping: Codable, Equatable {
    package var stepsTrained: Int
    package var generated: Int, kept: Int, droppedAllCorrect: Int, droppedAllWrong: Int
    package var accuracyStart: Double?
    package var accuracyEnd: Double?
    package var accuracyEndUpdate: Int
    package var passAtK: Double?

    package enum CodingKeys: String, CodingKey {
        case generated, kept
        case stepsTrained = "steps_trained"
        case droppedAllCorrect = "dropped_all_correct"
        case droppedAllWrong = "dropped_all_wrong"
        case accuracyStart = "accuracy_start"
        case accuracyEnd = "accuracy_end"
        case accuracyEndUpdate = "accuracy_end_update"
        case passAtK = "pass_at_k"
    }
}
