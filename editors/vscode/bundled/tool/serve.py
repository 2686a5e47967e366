"""Start the bundled mistral-lsp with the interpreter the extension found.

Like vscode-python-tools-extension-template's `bundled/tool/lsp_server.py`: put the bundled
libraries first on sys.path, then import the server. The libraries for this interpreter's
minor version come first (compiled wheels are per version), then those shared by all versions.
Run with `python -I` so that neither PYTHONPATH nor the user's site-packages can shadow them.
"""

import os
import sys

LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")
EXIT_NO_BUNDLE = 3


def main() -> int:
    version = "{}.{}".format(*sys.version_info[:2])
    own = os.path.join(LIBS, "py" + version)
    if not os.path.isdir(own):
        names = os.listdir(LIBS) if os.path.isdir(LIBS) else []
        found = sorted(n[2:] for n in names if n.startswith("py"))
        sys.stderr.write(
            f"mistral-lsp: no bundled server for Python {version} (bundled for: "
            f"{', '.join(found) or 'none'}); choose another interpreter with "
            "mistral.server.python\n"
        )
        return EXIT_NO_BUNDLE
    sys.path[0:0] = [own, os.path.join(LIBS, "common")]
    from lsp_server.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
