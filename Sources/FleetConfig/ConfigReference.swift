import Foundation

/// The config reference, `docs/config.md`, made from the schema: every key with its type,
/// default, allowed values and doc line, by section; then the defaults that depend on the
/// algorithm and the environment (``ConfigDefaults``). `scripts/generate-config-doc.sh` writes
/// it; a test fails when the file is stale.
public enum ConfigReference {
    /// The whole reference, as Markdown.
    public static var markdown: String {
        var text = """
            # Config reference

            A run config is a YAML file of `key: value` lines (nested sections for the dotted keys, \
            `model:` and `endpoints:` and `curve:`), every key optional. `--set key=value` overrides one \
            on the command line, YAML-typed: `--set hidden_sizes=[64,64]`, `--set target_kl=null`. A \
            run writes its whole resolved config, every key with its doc line, to `config.yaml` in its \
            run directory; that file resolves to the same run again.

            An unknown key is an error that suggests the nearest known one; so is a value of the wrong \
            type or outside its range, and a config whose keys do not fit together (below). Errors \
            name the file and line, or the `--set` they came from.

            This page is generated from the schema (`Sources/FleetConfig/ConfigSchema.swift`) by \
            `scripts/generate-config-doc.sh`; a test fails when it is stale.


            """
        for section in ConfigSchema.sections {
            text += "## \(section.title)\n\n"
            text += "| key | type | default | allowed | what it does |\n"
            text += "|---|---|---|---|---|\n"
            for key in section.keys {
                let allowed = key.constraint == .any ? "" : key.constraint.expectation
                text += "| `\(key.name)` | \(typeName(key.type)) | `\(key.defaultValue.yaml)` | \(cell(allowed)) | \(cell(key.doc)) |\n"
            }
            text += "\n"
        }
        text += """
            ## Defaults that depend on the algorithm and the environment

            PPO's defaults are CleanRL's `ppo.py` on discrete-action environments and \
            `ppo_continuous_action.py` on continuous ones (\(continuousIDs)); Dr. GRPO and DAPO change \
            a few of GRPO's. A key set in the config wins over all of these.

            | key | ppo, discrete | ppo, continuous |
            |---|---|---|

            """
        for row in ConfigDefaults.ppo {
            text += "| `\(row.key)` | `\(row.discrete.yaml)` | `\(row.continuous.yaml)` |\n"
        }
        text += "\ntrpo and reinforce take ppo's rows for the environment, and change these:\n\n"
        text += "| key | trpo | reinforce |\n|---|---|---|\n"
        for name in ConfigSchema.keys.map(\.name) where (ConfigDefaults.trpo + ConfigDefaults.reinforce).contains(where: { $0.key == name }) {
            func value(_ rows: [ConfigDefaults.Row]) -> String {
                rows.first { $0.key == name }.map { "`\($0.discrete.yaml)`" } ?? "ppo's"
            }
            text += "| `\(name)` | \(value(ConfigDefaults.trpo)) | \(value(ConfigDefaults.reinforce)) |\n"
        }
        text += "\n| key | grpo | dr_grpo | dapo |\n|---|---|---|---|\n"
        let changed = (ConfigDefaults.drGRPO + ConfigDefaults.dapo).map(\.key)
        for name in ConfigSchema.keys.map(\.name) where changed.contains(name) {
            func value(_ rows: [ConfigDefaults.Row]) -> String {
                "`" + (rows.first { $0.key == name }?.discrete ?? ConfigSchema.key(named: name)!.defaultValue).yaml + "`"
            }
            text += "| `\(name)` | \(value([])) | \(value(ConfigDefaults.drGRPO)) | \(value(ConfigDefaults.dapo)) |\n"
        }
        text += "\nppo on a prompt task (language PPO, `trains_on: task`) takes none of ppo's rows above; it changes these of "
            + "the schema's defaults:\n\n| key | ppo on a task |\n|---|---|\n"
        for row in ConfigDefaults.languagePPO { text += "| `\(row.key)` | `\(row.discrete.yaml)` |\n" }
        text += """

            ## Keys that must fit together

            - `num_minibatches` divides `num_envs * num_steps`; `model.heads` divides `model.width`.
            - PPO, TRPO, REINFORCE: `num_actors` divides `num_envs`, and `total_timesteps` holds at least one batch \
            (`num_envs * num_steps`).
            - `impala`, `trpo` and `reinforce` train on an environment (`env_id`), grpo, dr_grpo \
            and dapo on a prompt task (`task`): a config that names only the other kind's subject is refused. \
            `ppo` trains on either: on the prompt task when the config names a task (`task`, or `task: dataset`) \
            and no `env_id` (language PPO, with a critic), else on the environment; the resolved config \
            records the choice as `trains_on`.

            """
        return text
    }

    private static var continuousIDs: String {
        EnvironmentFamily.continuousEnvironmentIDs.sorted().map { "`\($0)`" }.joined(separator: ", ")
    }

    /// A type as the reference names it: `int`, `number or null`, `list of int`.
    private static func typeName(_ type: ConfigType) -> String {
        switch type {
        case .bool: "bool"
        case .int: "int"
        case .double: "number"
        case .string: "string"
        case .list(let element): "list of \(typeName(element))"
        case .optional(let wrapped): "\(typeName(wrapped)) or null"
        }
    }

    /// Text safe in a table cell.
    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "<", with: "&lt;")
    }
}
