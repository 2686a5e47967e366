"""mistral-lsp: repository-aware completions and refactors from the Mistral endpoint you chose."""

__version__ = "0.1.0"
SERVER_NAME = "mistral-lsp"
