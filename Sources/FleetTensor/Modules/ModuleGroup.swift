/// Named child modules and standalone parameters under one name space: a whole model made of parts,
/// such as CleanRL's PPO agent (`critic.*`, `actor.*`, and for continuous actions `actor_logstd`).
///
/// Parameters are the children's, in order, each prefixed with the child's name, followed by the
/// standalone tensors under their own names. The spec header lists the group's kind, each child's
/// header and each standalone tensor, one per line, so the group's ``Module/spec`` pins the whole
/// architecture.
public final class ModuleGroup: Module {
    /// A word naming what the group is (e.g. `ppo-agent`); part of the spec.
    public let kind: String
    /// The child modules, in parameter order.
    public let children: [(name: String, module: any Module)]
    /// Parameters that belong to no child (e.g. a state-independent log-std).
    public let standalone: [(name: String, tensor: Tensor)]

    /// A group of `children` and `standalone` parameters; names must be distinct and free of spaces.
    public init(kind: String, children: [(name: String, module: any Module)],
                standalone: [(name: String, tensor: Tensor)] = []) {
        let names = children.map(\.name) + standalone.map(\.name)
        precondition(Set(names).count == names.count, "duplicate names in group \(kind): \(names)")
        precondition((names + [kind]).allSatisfy { !$0.isEmpty && !$0.contains(" ") && !$0.contains("\n") },
                     "group names must be non-empty words")
        self.kind = kind
        self.children = children
        self.standalone = standalone
    }

    /// The child named `name`, if any.
    public subscript(name: String) -> (any Module)? { children.first { $0.name == name }?.module }

    /// `group <kind>`, then `child <name> <header line>` for each child line and
    /// `standalone <name>` for each standalone parameter.
    public var specHeader: String {
        var lines = ["group \(kind)"]
        for (name, module) in children {
            for line in module.specHeader.split(separator: "\n") { lines.append("child \(name) \(line)") }
        }
        for (name, _) in standalone { lines.append("standalone \(name)") }
        return lines.joined(separator: "\n")
    }

    /// Each child's parameters prefixed with its name, in child order, then the standalone parameters
    /// under their own names.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        children.flatMap { prefixedParameters($0.name, $0.module.namedParameters()) } + standalone
    }
}
