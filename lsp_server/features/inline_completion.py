"""textDocument/inlineCompletion (LSP 3.18): ghost text from the completion engine."""

from __future__ import annotations

from lsprotocol import types

from lsp_server.completion import CompletionQuery
from lsp_server.features.base import Feature, handler
from lsp_server.features.convert import offset_of, position_at
from lsp_server.features.shared import accepted_command
from lsp_server.pygls_adapter import RECEIVED_AT


class InlineCompletionFeature(Feature):
    # pygls 2.1 advertises inline completion only when registered with these options.
    @handler(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        self, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        session = self.session
        doc = session.documents.get(params.text_document.uri)
        if doc is None:
            return None
        encoding = session.documents.encoding
        offset = offset_of(doc, params.position, encoding)
        text, start, prefill = doc.text, offset, ""
        selected = params.context.selected_completion_info
        if selected is not None:
            # Complete as if the item selected in the suggest widget were already inserted.
            start = offset_of(doc, selected.range.start, encoding)
            end = offset_of(doc, selected.range.end, encoding)
            prefill = selected.text
            text = doc.text[:start] + prefill + doc.text[end:]
            offset = start + len(prefill)
        invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        query = CompletionQuery(
            doc.uri,
            doc.path,
            doc.language_id,
            text,
            offset,
            invoked,
            doc.version,
            received_at=RECEIVED_AT.get(),
        )
        suggestion = await self.server.completions.complete(query)
        if suggestion is None:
            return types.InlineCompletionList(items=[])
        if selected is not None:
            replace = selected.range
        else:
            here = position_at(doc, offset, encoding)
            replace = types.Range(start=here, end=here)
        item = types.InlineCompletionItem(
            insert_text=prefill + suggestion.text,
            range=replace,
            command=accepted_command(suggestion.source, doc.language_id),
        )
        return types.InlineCompletionList(items=[item])
