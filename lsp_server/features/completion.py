"""textDocument/completion for clients without inline completion (Neovim 0.11, Helix, Emacs).

The AI completion comes first as one item (label: its first line; text: all of it), then
names from the index. Items replace the word being typed so client-side filtering keeps them.
"""

from __future__ import annotations

import re

from lsprotocol import types

from lsp_server.completion import CompletionQuery
from lsp_server.completion.index_items import word_before
from lsp_server.features.base import Feature, handler
from lsp_server.features.convert import offset_of, range_between
from lsp_server.features.shared import SYMBOL_KINDS, accepted_command

TRIGGER_CHARACTERS = [".", "(", " ", ",", "=", ":", ">"]
_ITEM_KINDS = {
    types.SymbolKind.Function: types.CompletionItemKind.Function,
    types.SymbolKind.Method: types.CompletionItemKind.Method,
    types.SymbolKind.Class: types.CompletionItemKind.Class,
    types.SymbolKind.Interface: types.CompletionItemKind.Interface,
    types.SymbolKind.Struct: types.CompletionItemKind.Struct,
    types.SymbolKind.Enum: types.CompletionItemKind.Enum,
    types.SymbolKind.Module: types.CompletionItemKind.Module,
    types.SymbolKind.Constant: types.CompletionItemKind.Constant,
    types.SymbolKind.Field: types.CompletionItemKind.Field,
    types.SymbolKind.Property: types.CompletionItemKind.Property,
}


def _fenced(text: str, language: str) -> str:
    """`text` as a Markdown code block, with a fence longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _item_kind(kind: str) -> types.CompletionItemKind:
    symbol = SYMBOL_KINDS.get(kind, types.SymbolKind.Variable)
    return _ITEM_KINDS.get(symbol, types.CompletionItemKind.Variable)


class CompletionFeature(Feature):
    @handler(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS),
    )
    async def completion(self, params: types.CompletionParams) -> types.CompletionList | None:
        session, engine = self.session, self.server.completions
        doc = session.documents.get(params.text_document.uri)
        if doc is None:
            return None
        encoding = session.documents.encoding
        offset = offset_of(doc, params.position, encoding)
        invoked = (
            params.context is None
            or params.context.trigger_kind == types.CompletionTriggerKind.Invoked
        )
        query = CompletionQuery(
            doc.uri, doc.path, doc.language_id, doc.text, offset, invoked, doc.version
        )
        word = word_before(doc.text, offset)
        word_range = range_between(doc, offset - len(word), offset, encoding)
        items: list[types.CompletionItem] = []
        suggestion = await engine.complete(query)
        if suggestion is not None and suggestion.source != "index":
            label = word + suggestion.text.split("\n", 1)[0]
            items.append(
                types.CompletionItem(
                    label=label.strip()[:80] or suggestion.text.strip()[:80],
                    # Text, not Snippet: the text is inserted as is (no tab stops), and
                    # editors show the kind ("Snippet" misled Neovim users).
                    kind=types.CompletionItemKind.Text,
                    detail=f"Mistral ({suggestion.detail})",
                    # The whole answer, highlighted as code where the editor renders Markdown
                    # (the label is only its first line).
                    documentation=types.MarkupContent(
                        kind=types.MarkupKind.Markdown,
                        value=_fenced(suggestion.text, doc.language_id),
                    ),
                    filter_text=label,
                    sort_text="0000",
                    preselect=True,
                    insert_text_format=types.InsertTextFormat.PlainText,
                    text_edit=types.TextEdit(range=word_range, new_text=word + suggestion.text),
                    command=accepted_command(suggestion.source, doc.language_id),
                )
            )
        for rank, item in enumerate(engine.index_items(query)):
            items.append(
                types.CompletionItem(
                    label=item.label,
                    kind=_item_kind(item.kind),
                    detail=item.detail,
                    documentation=item.doc,
                    sort_text=f"1{rank:04d}",
                    text_edit=types.TextEdit(range=word_range, new_text=item.label),
                )
            )
        return types.CompletionList(is_incomplete=True, items=items)
