"""The manual pages supd(8), supctl(1) and sup.toml(5) are installed by `cmake --install`, render
with man(1), and cover everything: every supctl command and its options (read from supctl's own
help), every supd option (from supd --help), and every config key the loader accepts (read from
the loader's CheckKeys lists in conf/src, so a new key fails here until it is documented, in
sup.toml(5) and in docs/config.md)."""
import glob
import os
import re
import subprocess

import pytest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SUP_BUILD_DIR") or os.path.join(ROOT, "build")
PAGES = {"supd": "man8/supd.8", "supctl": "man1/supctl.1", "sup.toml": "man5/sup.toml.5"}


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    root = tmp_path_factory.mktemp("prefix")
    r = subprocess.run(["cmake", "--install", BUILD, "--prefix", str(root)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return root


def render(path):
    """The page as man shows it: no hyphenation, no justification, wide lines."""
    env = dict(os.environ, MANWIDTH="200", MANROFFOPT="-rHY=0", MAN_KEEP_FORMATTING="")
    r = subprocess.run(["man", "-l", "-P", "cat", str(path)], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr.lower(), r.stderr
    return re.sub(r".\x08", "", r.stdout)  # overstrike bold/underline -> plain


@pytest.fixture(scope="module")
def pages(prefix):
    return {name: render(prefix / "share" / "man" / rel) for name, rel in PAGES.items()}


def help_text(binary, *args):
    r = subprocess.run([os.path.join(BUILD, "bin", binary), *args, "--help"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def option_names(help_out):
    return set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z-]*)", help_out, re.M))


def loader_keys():
    keys = set()
    for path in glob.glob(os.path.join(ROOT, "conf", "src", "*.cpp")):
        for group in re.findall(r"CheckKeys\(\{([^}]*)\}\)", open(path).read()):
            keys.update(re.findall(r'"([a-z_]+)"', group))
    assert len(keys) > 40, keys  # the pattern still finds the loader's lists
    return keys


def test_each_page_renders_with_its_sections(pages):
    for name, text in pages.items():
        for section in ("NAME", "DESCRIPTION", "SEE ALSO"):
            assert re.search(rf"^{section}$", text, re.M), f"{name}: no {section}\n{text[:500]}"
        assert name in text.splitlines()[0]


def test_supctl_page_names_every_command_and_option(pages):
    top = help_text("supctl")
    commands = re.findall(r"^  ([a-z]+)\s{2,}", top.split("Commands:")[1], re.M)
    assert "status" in commands and "top" in commands and len(commands) > 12
    section = pages["supctl"].split("\nCOMMANDS\n")[1].split("\nEXIT STATUS\n")[0]
    for command in commands:
        assert re.search(rf"^\s+(\S+ )*{command}\b", section, re.M), f"supctl(1) lacks the command {command}"
        for option in option_names(help_text("supctl", command)) - {"--help"}:
            assert option in pages["supctl"], f"supctl(1) lacks {command} {option}"
    for option in option_names(top) - {"--help"}:
        assert option in pages["supctl"], f"supctl(1) lacks {option}"
    for key in ("j", "k", "s", "x", "r", "l", "/", "q", "Ctrl-C", "Esc"):
        assert key in pages["supctl"]


def test_supd_page_names_every_option(pages):
    for option in option_names(help_text("supd")) - {"--help"}:
        assert option in pages["supd"], f"supd(8) lacks {option}"


def test_every_config_key_is_in_sup_toml_5_and_docs_config_md(pages, prefix):
    reference = open(os.path.join(ROOT, "docs", "config.md")).read()
    installed = (prefix / "share" / "doc" / "sup" / "config.md")
    assert installed.exists(), "docs/config.md is not installed"
    for key in sorted(loader_keys()):
        assert re.search(rf"\b{key}\b", pages["sup.toml"]), f"sup.toml(5) lacks the key {key}"
        # A key of a table row (`key`), of an example (key =), or a table's name ([supervisor],
        # [program.NAME.health]).
        assert re.search(rf"`{key}`|\b{key} =|\[{key}[.\]]|\.{key}\]", reference), \
            f"docs/config.md lacks the key {key}"


def test_readme_and_docs_point_nowhere_outside_the_repository():
    for path in [os.path.join(ROOT, "README.md")] + glob.glob(os.path.join(ROOT, "docs", "*.md")):
        text = open(path).read()
        for target in re.findall(r"\]\(([^)]+)\)", text):
            if re.match(r"[a-z]+://", target) or target.startswith("#"):
                continue
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), target.split("#")[0]))
            assert resolved.startswith(ROOT + os.sep) and os.path.exists(resolved), f"{path}: {target}"
        assert "shared/SPEC" not in text and "SPEC.md" not in text, f"{path} points at the SPEC outside the repo"
