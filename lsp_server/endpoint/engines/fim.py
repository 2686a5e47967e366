"""Fill-in-the-middle prompt layouts for engines that take one raw prompt (vLLM, TGI, LM Studio).

No BOS: vLLM's /v1/completions and TGI's /generate_stream tokenize the prompt with
`add_special_tokens=True` by default, so they add the BOS themselves; a literal `<s>` in the
text gave Codestral two of them (mistral-common's `encode_fim` puts exactly one, first).

The layout follows the served model: Codestral's `[SUFFIX]suffix[PREFIX]prefix`
(mistral-common InstructTokenizerV3.encode_fim), or the FIM tokens the model family's tokenizer
declares. Special tokens written inside the user's code are broken with a zero-width space, so
a file cannot inject its own `[PREFIX]` (llama.cpp's /infill treats them as text; these
engines would parse them as control tokens).
"""

from __future__ import annotations

from dataclasses import dataclass

ZWSP = "\u200b"


@dataclass(frozen=True)
class FimLayout:
    name: str
    pre: str
    suf: str
    mid: str
    suffix_first: bool  # SPM (Codestral) vs PSM (StarCoder, Qwen, DeepSeek, CodeLlama)

    def render(self, prefix: str, suffix: str) -> str:
        prefix, suffix = self.neutralise(prefix), self.neutralise(suffix)
        if self.suffix_first:
            return f"{self.suf}{suffix}{self.pre}{prefix}{self.mid}"
        return f"{self.pre}{prefix}{self.suf}{suffix}{self.mid}"

    def neutralise(self, text: str) -> str:
        for token in (self.pre, self.suf, self.mid):
            if token and token in text:
                text = text.replace(token, token[0] + ZWSP + token[1:])
        return text


CODESTRAL = FimLayout("codestral", "[PREFIX]", "[SUFFIX]", "", suffix_first=True)
STARCODER = FimLayout("starcoder", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", False)
QWEN_CODER = FimLayout("qwen-coder", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", False)
DEEPSEEK_CODER = FimLayout(
    "deepseek-coder", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", False
)
CODELLAMA = FimLayout("codellama", "<PRE> ", " <SUF>", " <MID>", False)

# Model-name fragments (lower case) to the family's layout; the first match wins.
_FAMILIES: tuple[tuple[str, FimLayout], ...] = (
    ("codestral", CODESTRAL),
    ("starcoder", STARCODER),
    ("qwen", QWEN_CODER),
    ("deepseek-coder", DEEPSEEK_CODER),
    ("codellama", CODELLAMA),
    ("code-llama", CODELLAMA),
)


def layout_for(model: str) -> FimLayout:
    """The FIM layout of the served model; Codestral's when the name says nothing."""
    name = model.lower()
    return next((layout for key, layout in _FAMILIES if key in name), CODESTRAL)


def codestral_fim_prompt(prompt: str, suffix: str) -> str:
    """Codestral's layout without BOS (kept for callers of the old name)."""
    return CODESTRAL.render(prompt, suffix)
