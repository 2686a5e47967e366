"""Names every feature may need, so that no feature imports another."""

from __future__ import annotations

from lsprotocol import types

# workspace/executeCommand commands (the editors' plugins call them by these names).
ACCEPTED_COMMAND = "mistral.accepted"
REFACTOR_COMMAND = "mistral.refactor"
EXPLAIN_COMMAND = "mistral.explain"
TESTS_COMMAND = "mistral.generateTests"
APPLY_COMMAND = "mistral.applyAction"
TOGGLE_COMMAND = "mistral.toggleCompletions"
STATUS_COMMAND = "mistral.status"
DOCUMENT_TEXT_COMMAND = "mistral.debug.documentText"
SHOW_FILE_COMMAND = "mistral.showFile"

# The index's definition kinds as LSP symbol kinds.
SYMBOL_KINDS: dict[str, types.SymbolKind] = {
    "function": types.SymbolKind.Function,
    "method": types.SymbolKind.Method,
    "class": types.SymbolKind.Class,
    "interface": types.SymbolKind.Interface,
    "struct": types.SymbolKind.Struct,
    "enum": types.SymbolKind.Enum,
    "type": types.SymbolKind.TypeParameter,
    "module": types.SymbolKind.Module,
    "namespace": types.SymbolKind.Namespace,
    "variable": types.SymbolKind.Variable,
    "constant": types.SymbolKind.Constant,
    "field": types.SymbolKind.Field,
    "property": types.SymbolKind.Property,
    "trait": types.SymbolKind.Interface,
}


def accepted_command(source: str, language_id: str) -> types.Command:
    """Attached to every AI suggestion: the editor runs it when the user accepts."""
    return types.Command(
        title="Mistral: accepted", command=ACCEPTED_COMMAND, arguments=[source, language_id]
    )
