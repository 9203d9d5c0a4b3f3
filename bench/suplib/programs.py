"""TOML for the benchmark deployments: N programs running the `stamp` probe (or any argv)."""
from .harness import toml_list, toml_str


def program(name, argv, **keys):
    """One [program.NAME] table; keys are written as given (values already TOML)."""
    text = f"[program.{name}]\ncommand = {toml_list(argv)}\n"
    for key, value in keys.items():
        text += f"{key} = {value}\n"
    return text + "\n"


def stamp_programs(tools, count, stamp_file, mode="pause", **keys):
    """`count` programs p00000.., each `stamp FILE pause`, RUNNING as soon as exec'd."""
    argv = [tools.stamp, stamp_file, *mode.split()]
    keys.setdefault("start_seconds", toml_str("0s"))
    return "".join(program(f"p{i:05d}", argv, **keys) for i in range(count))
