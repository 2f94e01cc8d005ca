"""``python -m fleet_env COMMAND ...``: serve environments or a reward function, run the reference actor,
read captures."""
import importlib
import sys

COMMANDS = {
    "serve": ("fleet_env.serve", "serve a vector of Gymnasium environments to a Fleet actor"),
    "actor": ("fleet_env.actor", "join a Fleet learner as an actor (the protocol's reference actor)"),
    "captures": ("fleet_env.captures", "summarize Fleet capture files"),
    "reward": ("fleet_env.reward", "serve a Python reward function to a Fleet learner (GRPO, DAPO)"),
}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        lines = [f"  {name:<9} {doc}" for name, (_, doc) in COMMANDS.items()]
        print("usage: python -m fleet_env COMMAND [options]\n\ncommands:\n" + "\n".join(lines), file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
