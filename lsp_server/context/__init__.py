"""Context assembly: what the model sees around the cursor, within a token budget."""

from .builder import ContextBuilder
from .recent import RecentFiles
from .tokens import (
    count_tokens,
    estimate_tokens,
    tokenizer_name,
    use_exact_tokenizer,
    warm_up,
)
from .types import CompletionContext, RangeContext, Snippet
from .view import clear_shared_cache

__all__ = [
    "CompletionContext",
    "ContextBuilder",
    "RangeContext",
    "RecentFiles",
    "Snippet",
    "clear_shared_cache",
    "count_tokens",
    "estimate_tokens",
    "tokenizer_name",
    "use_exact_tokenizer",
    "warm_up",
]
