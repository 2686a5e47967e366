"""The table of secret detectors: what a secret looks like, as data.

A `Rule` is either a regex (with the group that is the secret) or a finder function for
what a single regex cannot say (a PEM block and its `\\n`-escaped twin, a Kubernetes
`Secret`'s `data:` values, a value bound to a name like `password` in any of the syntaxes
source and config files use). Every rule has `keywords`: lower-case literals of which one
must occur in the text before the rule runs at all, which keeps a scan of ordinary code
fast (gitleaks does the same).

Sources: detect-secrets' regex plugins are used as they are where their patterns cover the
whole token; where they are lazy or partial (JWT signatures, Stripe and OpenAI keys, URL
passwords) or missing (Anthropic, Hugging Face, Shopify, Databricks, Google, Azure SAS...)
the pattern is written here, after the token formats the vendors publish.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import ahocorasick_rs
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector

#: (start, end, type) of one secret found by a rule.
Hit = tuple[int, int, str]
Finder = Callable[[str, str], Iterator[Hit]]

PRIVATE_KEY = "Private Key"
KEYWORD = "Secret Keyword"


@dataclass(frozen=True)
class Rule:
    """One detector. `group` names the part of a match that is the secret (0: all of it;
    None: gitleaks' default, the first group that matched, else the whole match)."""

    id: str
    type: str
    regex: re.Pattern[str] | None = None
    group: int | str | None = 0
    keywords: tuple[str, ...] = ()
    #: or a regex over the lower-cased text (one search with a literal prefix is as cheap
    #: as one keyword; a family of prefixes is many keywords)
    gate: re.Pattern[str] | None = None
    #: a finder instead of a regex: (text, lowered text) -> hits
    finder: Finder | None = None
    #: the secret must not touch a word character on either side
    word: bool = False
    entropy: float = 0.0
    #: value filter (placeholders, templates); None accepts every match
    check: Callable[[str], bool] | None = None
    #: gitleaks allowlists: (target, regexes, stopwords, all-must-match)
    allowlists: tuple[Allowlist, ...] = field(default_factory=tuple)

    def applies(self, lowered: str) -> bool:
        if not self.keywords and self.gate is None:
            return True
        if any(k in lowered for k in self.keywords):
            return True
        return self.gate is not None and self.gate.search(lowered) is not None


@dataclass(frozen=True)
class Allowlist:
    """gitleaks' allowlist: a finding is dropped when its regexes or stopwords match."""

    target: str = "secret"  # "secret" | "match" | "line"
    regexes: tuple[re.Pattern[str], ...] = ()
    stopwords: tuple[str, ...] = ()
    conjunctive: bool = False

    def allows(self, secret: str, match: str, line: str) -> bool:
        subject = {"match": match, "line": line}.get(self.target, secret)
        checks: list[bool] = []
        if self.regexes:
            checks.append(any(r.search(subject) for r in self.regexes))
        if self.stopwords:
            low = secret.lower()
            checks.append(any(w.lower() in low for w in self.stopwords))
        if not checks:
            return False
        return all(checks) if self.conjunctive else any(checks)


# ----------------------------------------------------------------------------- values


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_PLACEHOLDER = re.compile(
    r"(?i)^(?:x{3,}|\*{3,}|\.{3,}|-{3,}|#{3,}|_{3,}|0+|1234\w*|abc\w{0,3}|changeme\w*|"
    r"change[_-]?(?:me|it|this)\w*|replace[_-]?me\w*|your[_-]?\w*|my[_-]?(?:password|secret|"
    r"token|key|api[_-]?key)\w*|\w*example\w*|sample\w*|dummy\w*|fake\w*|mock\w*|test(?:ing)?|"
    r"test123|testpass\w*|password\d*!?|passw(?:or)?d|pass|secret\d*|secretkey|token|"
    r"apikey|api[_-]key|none|null|nil|undefined|true|false|empty|default|redacted|hidden|"
    r"removed|todo|tbd|fixme|placeholder|notset|not[_-]?set|unset|required|optional|"
    r"insert\w*|enter\w*|some\w*|put\w*here|\w*_here|here|foo\w*|bar|baz|qwerty\w*|"
    r"letmein|hunter2|s3cr3t|p@ssw0rd|xyz|string|str|bytes|value)$"
)
# `$name` is a variable only at the start or as an UPPER_CASE name: generated passwords often
# hold a `$` followed by letters (`hV9#kLm2$pQ7zX`).
_TEMPLATE = re.compile(
    r"\$\{|\{\{|\}\}|#\{|%\(|%[sdr]\b|<%|\{\d*\}|\$\(|^\$[A-Za-z_]|\$[A-Z_][A-Z0-9_]{2,}\b|^%|@@"
)
_IDENT_CHAIN = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|->)[A-Za-z_$][\w$]*)*(?:\(.*|\[.*)?")
#: Words of ASCII letters, joined by single `_`, `.` or `-`: what
#: `(?:[A-Z]?[a-z]+|[A-Z]+)(?:[_.-]?(?:[A-Z]?[a-z]+|[A-Z]+))*` matches (any run of letters
#: splits into such words), without its exponentially many ways to split one: a value of
#: forty letters and a digit took that regex hours (a file could stall every scan).
_ALPHA_WORDS = re.compile(r"[A-Za-z]+(?:[_.-][A-Za-z]+)*")
_ESCAPES = re.compile(r"\\[xuUN0-7]")


def char_classes(value: str) -> int:
    lower = upper = digit = other = 0
    for c in value:
        if c.islower():
            lower = 1
        elif c.isupper():
            upper = 1
        elif c.isdigit():
            digit = 1
        elif c not in "-_.":
            other = 1
    return lower + upper + digit + other


def plausible_value(value: str, quoted: bool) -> bool:
    """Could this literal be a secret rather than a placeholder, a template or code?"""
    if not 6 <= len(value) <= 4096 or any(c.isspace() for c in value):
        return False
    if _PLACEHOLDER.match(value) or _TEMPLATE.search(value):
        return False
    if value[0] in "<[{(/\\~!" or "://" in value or value.startswith(("./", "../")):
        return False
    if value.isdigit() or len(set(value)) <= 2:
        return False
    if (
        not quoted
        and _IDENT_CHAIN.fullmatch(value)
        and ("(" in value or "[" in value or not any(c.isdigit() for c in value))
    ):
        return False  # `token = self.token`, `password = get_password()`, `pw = a[2]`
    if _ESCAPES.search(value):
        return False  # `b"\x00\x01"`: bytes written out, test data
    if len(value) < 32 and _ALPHA_WORDS.fullmatch(value):
        return False  # `kind = "password"`, `TOKEN = "GITHUB_TOKEN"`: a name, not a value
    return char_classes(value) >= 2 or len(value) >= 20


def url_password(value: str) -> bool:
    return len(value) >= 6 and not _PLACEHOLDER.match(value) and not _TEMPLATE.search(value)


def token_value(value: str) -> bool:
    """Values of vendor-specific patterns: only templates and x-ed out examples are refused."""
    return not _TEMPLATE.search(value) and "xxxx" not in value.lower()


# ----------------------------------------------------------------------------- names


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: A name component that says "the value is a secret" (the keyword ends the component:
#: `dbPassword`, `authtoken`; `tokenizer`, `bypass`, `secretary` do not count).
_KEY_COMPONENT = re.compile(
    r"[a-z0-9]*(?:password|passwd|passwrd|passphrase|pwd|secret|secrets|token|credential|"
    r"credentials|apikey|appkey|accesskey|privatekey|authkey|signingkey|encryptionkey|"
    r"masterkey|accountkey|clientkey|saskey|secretkey|sharedkey|connectionstring|connstr)"
    r"|(?P<short>pass|pw|psw|pswd)"
)
#: Components after the keyword that make the name about the secret, not the secret.
_META = _words(
    "type types name names field fields label labels prompt url uri urls endpoint endpoints "
    "path paths file files filename dir env var variable length len size count max min "
    "regex re pattern format fmt header headers param params policy policies expiry expires "
    "expiration expire ttl timeout hint help placeholder input column col attr attribute "
    "prefix suffix class kind mode enabled required error errors message msg text title "
    "description desc doc docs ids ref arn location store storage manager provider "
    "service source version rotation strategy scope scopes audience issuer algorithm alg "
    "method response request validator index idx list map dict cache lifetime age usage "
    "reset changed hash hashed hasher salt rounds iterations lock locked limit uses "
    "duration seconds ms secs minutes hours days attempts retries key_id keyid selector "
    "form widget icon visible visibility toggle template tmpl schema spec def definition "
    "cls handler callback fn func function util utils helper parser reader writer loader "
    "len_ bytes_len fingerprint digest mask masked sha md5 mgr public publishable pub"
)
_BEFORE_META = _words(
    "is has show hide toggle use enable disable require requires min max num no need needs "
    "allow allows forgot"
)
_PAIRS = _words(
    "apikey appkey accesskey privatekey authkey signingkey encryptionkey masterkey "
    "accountkey clientkey saskey secretkey sharedkey connectionstring connstr"
)
_SPLIT = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def name_components(name: str) -> list[str]:
    return [p.lower() for p in _SPLIT.findall(name)]


#: Names that hold a secret only when the value is random too (`MAILGUN_KEY`, `DEVOPS_PAT`;
#: but `CACHE_KEY = "user:v2"`): the last component, and a value of high entropy.
_WEAK_LAST = frozenset(("key", "pat", "apikeys", "keys"))
WEAK_MIN_ENTROPY = 3.5
WEAK_MIN_LENGTH = 16


_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_~-]+")


def _random_token(value: str) -> bool:
    """A value that is a key by its looks alone: long, random, one token, letters and digits."""
    return (
        len(value) >= WEAK_MIN_LENGTH
        and _TOKEN_CHARS.fullmatch(value) is not None
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and shannon_entropy(value) >= WEAK_MIN_ENTROPY
        and not value.startswith(("pk_", "pub_"))
    )


def name_strength(name: str) -> int:
    """2: the name says its value is a secret; 1: it may be (a random value decides);
    0: it does not."""
    if plausible_name(name):
        return 2
    parts = name_components(name)
    if len(parts) >= 2 and parts[-1] in _WEAK_LAST and not (set(parts) & _META):
        return 1 if not (set(parts[:-1]) & _BEFORE_META) else 0
    return 0


def plausible_name(name: str) -> bool:
    """Does `name` (an identifier, key, tag or flag) hold a secret value?"""
    parts = name_components(name)
    for i, part in enumerate(parts):
        joined = part + parts[i + 1] if i + 1 < len(parts) else ""
        if joined in _PAIRS:
            rest, before = parts[i + 2 :], parts[:i]
        elif m := _KEY_COMPONENT.fullmatch(part):
            if m.group("short") and i + 1 < len(parts):
                continue  # `DB_PASS` counts, `pass_fds` and `passValue` do not
            rest, before = parts[i + 1 :], parts[:i]
        else:
            continue
        return not (any(p in _META for p in rest) or any(p in _BEFORE_META for p in before))
    return False


# ----------------------------------------------------------------------------- finders

_PEM_HEAD = re.compile(r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_TAIL = re.compile(r"-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_B64_RUN = re.compile(r"[A-Za-z0-9+/]{40}")
_BODY_LINE = re.compile(r"[\s\"'`+,;\\n]*[A-Za-z0-9+/=\\]{16,}[\s\"'`+,;\\n]*|[\w-]+: .*|\s*")


def find_pem(text: str, lowered: str) -> Iterator[Hit]:
    """PEM / OpenSSH / PGP private key blocks, with real newlines or `\\n` escapes, header to
    footer; a block without footer runs while its lines look like key material. A header
    with no key material after it (code that parses keys) is not a secret."""
    pos = 0
    while True:
        head = _PEM_HEAD.search(text, pos)
        if head is None:
            return
        start, pos = head.start(), head.end()
        if _B64_RUN.search(text, pos, pos + 160) is None:
            continue
        tail = _PEM_TAIL.search(text, pos, pos + 20000)
        if tail is not None and _PEM_HEAD.search(text, pos, tail.start()) is None:
            pos = tail.end()
            yield start, pos, PRIVATE_KEY
            continue
        # unterminated: extend over lines of key material
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        while end < len(text):
            nxt = text.find("\n", end + 1)
            nxt = len(text) if nxt < 0 else nxt
            if not _BODY_LINE.fullmatch(text, end + 1, nxt) or end + 1 == nxt:
                break
            end = nxt
        pos = end
        yield start, end, PRIVATE_KEY


_PUTTY = re.compile(r"PuTTY-User-Key-File-\d+:.*?(?:Private-MAC: *[0-9a-f]+|\Z)", re.S)
_K8S_KIND = re.compile(r"""(?m)^\s*["']?kind["']?\s*:\s*["']?Secret["']?\s*,?\s*$""")
_K8S_DATA = re.compile(r"(?m)^([ \t]*)(?:data|stringData):[ \t]*$")
_K8S_ITEM = re.compile(r"(?m)^([ \t]+)[\"']?[\w.-]+[\"']?:[ \t]*(?:[|>][-+]?[ \t]*$|(.+?)[ \t]*$)")
_JSON_DATA = re.compile(r'"(?:data|stringData)"\s*:\s*\{([^{}]*)\}')
_JSON_ITEM = re.compile(r'"[\w.-]+"\s*:\s*"([^"]+)"')


def find_k8s_secret(text: str, lowered: str) -> Iterator[Hit]:
    """Every value under `data:` / `stringData:` of a Kubernetes `Secret` manifest (YAML or
    JSON): the keys are ordinary names (`username`, `tls.crt`), the values are the secret."""
    docs = re.split(r"(?m)^---[ \t]*$", text) if "\n---" in text else [text]
    offset = 0
    for doc in docs:
        if _K8S_KIND.search(doc):
            yield from _k8s_yaml(doc, offset)
            for block in _JSON_DATA.finditer(doc):
                for item in _JSON_ITEM.finditer(doc, block.start(1), block.end(1)):
                    if not _TEMPLATE.search(item.group(1)):
                        yield offset + item.start(1), offset + item.end(1), "Kubernetes Secret"
        offset += len(doc) + 3  # the "---" separator (the newline stays in the next doc)


def _k8s_yaml(doc: str, offset: int) -> Iterator[Hit]:
    for block in _K8S_DATA.finditer(doc):
        indent = len(block.group(1))
        pos = block.end() + 1
        item_indent: int | None = None
        while pos < len(doc):
            item = _K8S_ITEM.match(doc, pos)
            line_end = doc.find("\n", pos)
            line_end = len(doc) if line_end < 0 else line_end
            if item is None:
                if doc[pos:line_end].strip() and not doc[pos:line_end].lstrip().startswith("#"):
                    break
                pos = line_end + 1
                continue
            level = len(item.group(1))
            if level <= indent or (item_indent is not None and level < item_indent):
                break
            item_indent = item_indent or level
            if item.group(2) is not None:
                value = item.group(2).strip("\"'")
                if value and not _TEMPLATE.search(value):
                    vs = item.start(2) + item.group(2).find(value)
                    yield offset + vs, offset + vs + len(value), "Kubernetes Secret"
                pos = line_end + 1
                continue
            # a block scalar: its more-indented lines
            end = pos = line_end + 1
            while pos < len(doc):
                nxt = doc.find("\n", pos)
                nxt = len(doc) if nxt < 0 else nxt
                line = doc[pos:nxt]
                if line.strip() and len(line) - len(line.lstrip()) <= level:
                    break
                end, pos = nxt, nxt + 1
            yield offset + line_end + 1, offset + end, "Kubernetes Secret"


# Generic "name <op> value". A cheap trigger finds the keywords in the lower-cased text;
# around each, the name is taken whole and what follows it is matched against the syntaxes
# below (anchored, so each fails on its first character when it does not apply).
#: the keywords, as `pass|pwd|psw|secret|token|credential|key|conn|pat\b|pat_` would say
TRIGGER_WORDS = ("pass", "pwd", "psw", "secret", "token", "credential", "key", "conn", "pat")
_PAT = TRIGGER_WORDS.index("pat")
_TRIGGERS = ahocorasick_rs.AhoCorasick(TRIGGER_WORDS)


def _trigger_starts(subject: str) -> list[int]:
    """Where those keywords start, in order, in one Aho-Corasick pass (a regex of them tried
    five letters at every position: half of this finder's time). Overlapping keywords are
    reported too: they lie inside the name of the one before, which the caller skips."""
    hits = _TRIGGERS.find_matches_as_indexes(subject, overlapping=True)
    return trigger_starts_of(subject, hits)


def trigger_starts_of(subject: str, hits: Iterable[tuple[int, int, int]]) -> list[int]:
    """The starts `_trigger_starts` keeps of the trigger words' matches in `subject`, given
    as (index in TRIGGER_WORDS, start, end): the scanner finds them in its keyword pass."""
    size = len(subject)
    starts: list[int] = []
    for which, start, end in hits:
        if which == _PAT and end < size and subject[end] != "_" and subject[end].isalnum():
            continue  # `pat\b|pat_`: not "path", "pattern"
        starts.append(start)
    starts.sort()
    return starts


_QVAL = r"""(?P<pfx>[bruf]{0,2})(?P<vq>"(?:"")?|'(?:'')?|`)(?P<qv>[^"'`\n]{1,4096}?)(?P=vq)"""
_UVAL = r"""(?P<uv>[^\s"'`<>]{1,4096})"""
_AFTER_ASSIGN = re.compile(
    r"(?P<q>[\"'`]?)\]?[ \t]*"
    r"(?::[ \t]*[\w.\[\]<>|?,&'* ]{1,40}?[ \t]*(?==))?"  # a type: `pw: str =`, `K: &str =`
    r"(?P<op>:=|=>|===?|\|\|=|\?\?=|=|:|\|\||\?\?|,)(?![=>])[ \t]*(?:" + _QVAL + "|" + _UVAL + ")"
)
_AFTER_XML_ELEMENT = re.compile(r"(?:[ \t][^>\n]*)?>[ \t]*(?P<uv>[^<\s][^<\n]{2,300}?)[ \t]*</")
_AFTER_XML_PAIR = re.compile(r"[\"'][ \t]+value[ \t]*=[ \t]*(?P<vq>[\"'])(?P<qv>[^\"'\n]+)(?P=vq)")
_AFTER_CALL = re.compile(
    r"[ \t]*\([ \t]*(?P<pfx>[bru]{0,2})(?P<vq>[\"'])(?P<qv>[^\"'\n]{6,300})(?P=vq)[ \t]*\)"
)
_AFTER_FLAG = re.compile(r"[ \t]+(?P<vq>[\"']?)(?P<qv>[^\s\"'-][^\s\"']{5,300})(?P=vq)(?=\s|$)")
_ENV_SPACED = re.compile(r"[ \t]*(?:ENV|ARG|set|SET)[ \t]+")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$-")
_NAME_END = re.compile(r"[\w.$-]*")
_TRAILING = ";,)]}:"
_SETTERS = frozenset(("set", "with", "put", "use"))


def _name_start(text: str, pos: int) -> int:
    while pos > 0 and text[pos - 1] in _NAME_CHARS:
        pos -= 1
    return pos


def _prev_char(text: str, pos: int) -> str:
    """The first non-blank character before `pos`."""
    while pos > 0 and text[pos - 1] in " \t":
        pos -= 1
    return text[pos - 1] if pos > 0 else "\n"


def _keyword_value(text: str, name_start: int, name_end: int) -> tuple[int, int, bool] | None:
    """(start, end, quoted) of the value bound to the name at text[name_start:name_end]."""
    before = text[name_start - 1] if name_start > 0 else "\n"
    m = _AFTER_ASSIGN.match(text, name_end)
    if m is not None:
        q, op = m.group("q"), m.group("op")
        quoted_value = m.group("qv") is not None
        if q and before != q:
            return None  # `"Enter password": ...`: a sentence, not a key
        if op == "," and not (q and quoted_value and _prev_char(text, name_start - 1) in "([{"):
            return None  # only `("password", "...")`, `put("token", "...")`
        if op in ("||", "??") and not quoted_value:
            return None
        if quoted_value:
            return m.start("qv"), m.end("qv"), True
        return m.start("uv"), m.end("uv"), False
    if before == "<" or before == ":":
        m = _AFTER_XML_ELEMENT.match(text, name_end)
        if m is not None:
            return m.start("uv"), m.end("uv"), False
    if before in "\"'":
        m = _AFTER_XML_PAIR.match(text, name_end)
        if m is not None:
            return m.start("qv"), m.end("qv"), True
    m = _AFTER_CALL.match(text, name_end)
    if m is not None:
        first = name_components(text[name_start:name_end].rsplit(".", 1)[-1])[:1]
        if first and first[0] in _SETTERS:
            return m.start("qv"), m.end("qv"), True
        return None
    line_start = text.rfind("\n", 0, name_start) + 1
    if text.startswith("-", name_start) or _ENV_SPACED.fullmatch(text, line_start, name_start):
        m = _AFTER_FLAG.match(text, name_end)  # `--token VALUE`, Dockerfile `ENV NAME VALUE`
        if m is not None:
            return m.start("qv"), m.end("qv"), bool(m.group("vq"))
    return None


def find_keyword_values(
    text: str, lowered: str, triggers: list[int] | None = None
) -> Iterator[Hit]:
    """Values bound to a name that says secret: `password = "..."`, `API_KEY: ...`,
    `"client_secret": "..."`, `<password>...</password>`, `setPassword("...")`,
    `--token ...`, in Python, JS/TS, Go, Java, C#, PHP, Ruby, shell, env, YAML, JSON, TOML,
    INI, properties, HCL and XML. `triggers`: `_trigger_starts(lowered)`, when the caller
    found them already."""
    subject = lowered if len(lowered) == len(text) else text.lower()
    if len(subject) != len(text):
        return  # lower-casing changed the length (rare Unicode): the other rules still run
    if triggers is None or subject is not lowered:
        triggers = _trigger_starts(subject)
    done = -1
    for trigger in triggers:
        if trigger < done:
            continue  # another keyword of a name already looked at
        name_start = _name_start(text, trigger)
        name_end = _NAME_END.match(text, trigger).end()  # type: ignore[union-attr]
        done = name_end
        found = _keyword_value(text, name_start, name_end)
        if found is None:
            continue
        start, end, quoted = found
        strength = name_strength(text[name_start:name_end].strip("-.$"))
        if not strength:
            continue
        if not quoted:
            value = text[start:end].rstrip(_TRAILING)
            if "&" in value and "=" in value:
                value = value.split("&", 1)[0]  # `?user=u&password=p&ssl=1`
            end = start + len(value)
        value = text[start:end]
        if strength == 1 and not _random_token(value):
            continue
        if plausible_value(value, quoted):
            yield start, end, KEYWORD


_TF_VARIABLE = re.compile(
    r'variable\s+"(?P<name>[^"\n]{1,80})"\s*\{(?P<body>[^{}]{0,600}?)\bdefault\s*=\s*'
    r'"(?P<value>[^"\n]+)"'
)


BASIC_AUTH = "Basic Auth Credentials"
_NETRC_LINE = re.compile(
    r"[ \t]*(?:(?:machine|default|login|account)\b[^\n#]*?[ \t])?password[ \t]+"
    r"[\"']?(?P<s>[^\s#\"']+)"
)


def find_netrc_passwords(text: str, lowered: str) -> Iterator[Hit]:
    """`.netrc` lines (`machine host login me password VALUE`): only lines holding
    "password" are matched, from their start (a line-anchored regex tried every position)."""
    pos = text.find("password")
    while pos >= 0:
        line_start = text.rfind("\n", 0, pos) + 1
        m = _NETRC_LINE.match(text, line_start)
        if m is not None and plausible_value(m.group("s"), False):
            yield m.start("s"), m.end("s"), BASIC_AUTH
        line_end = text.find("\n", pos)
        if line_end < 0:
            return
        pos = text.find("password", line_end)


_MAILCHIMP = str(MailchimpDetector.secret_type)
#: detect-secrets' `[0-9a-z]{32}-us[0-9]{1,2}` from its "-us": the regex engine skips to a
#: literal, where the leading character class was tried at every position
_MAILCHIMP_TAIL = re.compile(r"-us(?<=[0-9a-z]{32}-us)[0-9]{1,2}")


def find_mailchimp_keys(text: str, lowered: str) -> Iterator[Hit]:
    """Mailchimp API keys, as detect-secrets' pattern finds them (matches never overlap)."""
    last = 0
    for m in _MAILCHIMP_TAIL.finditer(text):
        start = m.start() - 32
        if start < last:
            continue  # the pattern's match would overlap the one before: it has none here
        last = m.end()
        if token_value(text[start:last]):
            yield start, last, _MAILCHIMP


#: `auth = ("user", "password")`, `BasicAuth("user", "password")`...: the names are found
#: in one Aho-Corasick pass, what follows them with an anchored regex (an alternation of
#: names starting with a, b or c was tried at every such letter of the text)
_BASIC_AUTH_NAMES = ahocorasick_rs.AhoCorasick(("auth", "BasicAuth", "basic_auth", "credentials"))
_BASIC_AUTH_PAIR = re.compile(
    r"[ \t]*(?:=|\()[ \t]*\(?[ \t]*[\"'][^\"'\n]*[\"'][ \t]*,[ \t]*[\"'](?P<s>[^\"'\n]{4,})[\"']"
)


def find_basic_auth_pairs(text: str, lowered: str) -> Iterator[Hit]:
    """The password of a (user, password) pair bound to an auth name (no overlapping
    matches, as a regex search of name and pair together would give)."""
    last = 0
    names = _BASIC_AUTH_NAMES.find_matches_as_indexes(text, overlapping=True)
    for _, start, end in sorted(names, key=lambda hit: hit[1]):
        if start < last:
            continue
        m = _BASIC_AUTH_PAIR.match(text, end)
        if m is None:
            continue
        last = m.end()
        if plausible_value(m.group("s"), True):
            yield m.start("s"), m.end("s"), BASIC_AUTH


def find_tf_variable_default(text: str, lowered: str) -> Iterator[Hit]:
    """`variable "db_password" { default = "..." }`: the name is a line above the value."""
    for m in _TF_VARIABLE.finditer(text):
        if plausible_name(m.group("name")) and plausible_value(m.group("value"), True):
            yield m.start("value"), m.end("value"), KEYWORD


# ----------------------------------------------------------------------------- the table


def _r(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _from_detect_secrets(
    plugin: type[RegexBasedDetector],
    keywords: tuple[str, ...],
    group: int | None = None,
    gate: re.Pattern[str] | None = None,
) -> list[Rule]:
    """detect-secrets' patterns for one plugin, one rule per pattern (run over whole texts)."""
    kind = str(plugin.secret_type)
    return [
        Rule(
            f"detect-secrets:{plugin.__name__}:{i}",
            kind,
            re.compile(p.pattern, p.flags | re.M),
            group=group,
            keywords=keywords,
            gate=gate,
            check=token_value,
        )
        for i, p in enumerate(plugin().denylist)
    ]


_URL_CREDENTIALS = _r(r"://(?P<user>[^\s:/@\"'<>{}\[\]]{0,100}):(?P<pw>[^\s@/\"'<>{}\[\]]{1,200})@")
_SCHEME = r"(?:basic|bearer|token|digest|apikey|api-key|key|sso-key|negotiate|ntlm|otoken)[ \t]+"
_AUTH_HEADER = _r(
    r"(?i)authorization[\"'`]?\]?[ \t]*(?::|=>|=|,)[ \t]*"
    r"(?:[bfru]?[\"'`][ \t]*(?:" + _SCHEME + r")?|" + _SCHEME + r")"
    r"(?P<s>[A-Za-z0-9+/._~:=-]{12,})"
)

#: Tokens with a fixed prefix from vendors the rules above do not name (formats as the
#: vendors document them): (name, type, pattern, keywords).
_VENDOR_TOKENS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("groq", "Groq API Key", r"gsk_[A-Za-z0-9]{48,56}", ("gsk_",)),
    ("replicate", "Replicate Token", r"r8_[A-Za-z0-9]{37}", ("r8_",)),
    ("perplexity", "Perplexity API Key", r"pplx-[A-Za-z0-9]{48}", ("pplx-",)),
    ("xai", "xAI API Key", r"xai-[A-Za-z0-9]{70,90}", ("xai-",)),
    (
        "notion",
        "Notion Token",
        r"(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{40,50})",
        ("secret_", "ntn_"),
    ),
    ("linear", "Linear API Key", r"lin_api_[A-Za-z0-9]{40}", ("lin_api_",)),
    ("digitalocean", "DigitalOcean Token", r"do[opr]_v1_[a-f0-9]{64}", ("_v1_",)),
    ("atlassian", "Atlassian API Token", r"ATATT3[A-Za-z0-9_\-=]{150,}", ("atatt3",)),
    ("postman", "Postman API Key", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", ("pmak-",)),
    ("doppler", "Doppler Token", r"dp\.(?:st|ct|pt|sa|scim|audit)\.[\w-]{40,}", ("dp.",)),
    (
        "grafana",
        "Grafana Token",
        r"glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}",
        ("glc_", "glsa_"),
    ),
    (
        "newrelic",
        "New Relic Key",
        r"NR(?:AK|II|JS)-[A-Za-z0-9]{27,32}",
        ("nrak-", "nrii-", "nrjs-"),
    ),
    ("sentry-token", "Sentry Auth Token", r"sntry[su]_[\w+/=-]{40,}", ("sntry",)),
    ("planetscale", "PlanetScale Token", r"pscale_(?:tkn|pw|oauth)_[\w.=-]{32,64}", ("pscale_",)),
    ("pulumi", "Pulumi Token", r"pul-[a-f0-9]{40}", ("pul-",)),
    ("vault", "Vault Token", r"hv[sb]\.[\w-]{24,}", ("hvs.", "hvb.")),
    (
        "terraform-cloud",
        "Terraform Cloud Token",
        r"[A-Za-z0-9]{14}\.atlasv1\.[\w=-]{60,70}",
        ("atlasv1",),
    ),
    ("age", "Age Secret Key", r"AGE-SECRET-KEY-1[0-9A-Z]{58}", ("age-secret-key-1",)),
    ("mailgun", "Mailgun Key", r"key-[0-9a-f]{32}", ("key-",)),
    ("rubygems", "RubyGems Key", r"rubygems_[a-f0-9]{48}", ("rubygems_",)),
    ("dockerhub", "Docker Hub Token", r"dckr_pat_[\w-]{27}", ("dckr_pat_",)),
    ("supabase", "Supabase Token", r"sbp_[a-f0-9]{40}", ("sbp_",)),
    ("flyio", "Fly.io Token", r"fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3}", ("fm1", "fm2")),
    ("square", "Square Token", r"sq0atp-[\w-]{22}|EAAA[\w-]{60}", ("sq0atp-", "eaaa")),
    ("mapbox", "Mapbox Secret Token", r"sk\.eyJ[\w-]{50,}\.[\w-]{20,}", ("sk.eyj",)),
    ("clojars", "Clojars Token", r"CLOJARS_[a-z0-9]{60}", ("clojars_",)),
    ("dropbox", "Dropbox Token", r"sl\.[\w-]{130,}", ("sl.",)),
)

BUILTIN: tuple[Rule, ...] = (
    Rule("private-key", PRIVATE_KEY, finder=find_pem, keywords=("private key",)),
    Rule("putty-key", PRIVATE_KEY, _PUTTY, keywords=("putty-user-key-file",)),
    Rule(
        "jwt",
        "JSON Web Token",
        _r(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*(?:\.[\w-]+){0,2}=*"),
        keywords=("eyj",),
        word=True,
    ),
    Rule(
        "aws-access-key-id",
        "AWS Access Key",
        _r(r"A(?:3T[A-Z0-9]|KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Z0-9])"),
        word=True,
    ),
    Rule(
        "aws-secret-access-key",
        "AWS Secret Key",
        _r(
            r"(?i)aws[\w.-]{0,30}?(?:secret|sak|private)[\w.-]{0,30}?[\"'`]?\]?[ \t]*"
            r"(?::=|=>|=|:|,)[ \t]*[\"'`]?(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        group="s",
        keywords=("aws",),
    ),
    Rule("google-api-key", "Google API Key", _r(r"AIza[\w-]{35}(?![\w-])"), keywords=("aiza",)),
    Rule(
        "google-oauth-secret",
        "Google OAuth Client Secret",
        _r(r"GOCSPX-[\w-]{28}(?![\w-])"),
        keywords=("gocspx-",),
    ),
    Rule(
        "google-oauth-token",
        "Google OAuth Token",
        _r(r"ya29\.[\w-]{30,}|1//0[\w-]{40,}"),
        keywords=("ya29.", "1//0"),
        word=True,
    ),
    Rule(
        "github-token",
        "GitHub Token",
        _r(r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_\w{22,255})(?!\w)"),
        gate=_r(r"g(?:h[pousr]|ithub_pat)_"),
        word=True,
    ),
    Rule(
        "anthropic-key",
        "Anthropic API Key",
        _r(r"sk-ant-[\w-]{20,}"),
        keywords=("sk-",),
        word=True,
    ),
    Rule(
        "openai-key",
        "OpenAI Token",
        _r(
            r"sk-(?:proj|svcacct|admin|None)-[\w-]{20,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"
            r"|sk-[A-Za-z0-9]{32,}(?![\w-])"
        ),
        keywords=("sk-",),
        word=True,
        check=token_value,
    ),
    Rule(
        "stripe-key",
        "Stripe Access Key",
        _r(r"(?:sk|rk)_(?:live|test|prod)_[0-9a-zA-Z]{10,247}"),
        gate=_r(r"k_(?:live|test|prod)_"),
        word=True,
        check=token_value,
    ),
    Rule(
        "stripe-webhook-secret",
        "Stripe Webhook Secret",
        _r(r"whsec_[A-Za-z0-9+/=]{24,}"),
        keywords=("whsec_",),
        word=True,
    ),
    Rule(
        "slack-token",
        "Slack Token",
        _r(r"xox[abposre]-(?:[0-9]+-)*[A-Za-z0-9-]{10,}|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+"),
        keywords=("xox", "xapp-"),
        word=True,
        check=token_value,
    ),
    Rule(
        "slack-webhook",
        "Slack Webhook",
        _r(r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/+-]{20,})"),
        group="s",
        keywords=("hooks.slack.com",),
    ),
    Rule(
        "discord-webhook",
        "Discord Webhook",
        _r(r"discord(?:app)?\.com/api/webhooks/\d+/(?P<s>[\w-]{60,})"),
        group="s",
        keywords=("/api/webhooks/",),
    ),
    Rule(
        "huggingface-token",
        "Hugging Face Token",
        _r(r"(?:hf_|api_org_)[A-Za-z0-9]{30,40}(?![\w-])"),
        keywords=("hf_", "api_org_"),
        word=True,
    ),
    Rule(
        "shopify-token",
        "Shopify Token",
        _r(r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?!\w)"),
        keywords=("shp",),
        word=True,
    ),
    Rule(
        "databricks-token",
        "Databricks Token",
        _r(r"dapi[a-f0-9]{32}(?:-\d)?(?![\w-])"),
        keywords=("dapi",),
        word=True,
    ),
    Rule(
        "datadog-key",
        "Datadog Key",
        _r(
            r"(?i)(?:datadog|dd)[\w.-]{0,30}?(?:key|token)[\"'`]?\]?[ \t]*(?::=|=>|=|:|,)[ \t]*"
            r"[\"'`]?(?P<s>[a-f0-9]{40}|[a-f0-9]{32})(?![a-f0-9])"
        ),
        group="s",
        keywords=("datadog", "dd_api", "dd_app"),
    ),
    Rule(
        "twilio-key",
        "Twilio API Key",
        _r(r"AC[a-f0-9]{32}(?![A-Za-z0-9])"),
        word=True,
    ),
    Rule(
        "twilio-api-key",
        "Twilio API Key",
        _r(r"SK[a-f0-9]{32}(?![A-Za-z0-9])"),
        word=True,
    ),
    Rule(
        "twilio-auth-token",
        "Twilio API Key",
        _r(r"AC[a-f0-9]{32}[\"'][ \t]*,[ \t]*[\"'](?P<s>[a-f0-9]{32})[\"']"),
        group="s",
    ),
    Rule(
        "azure-storage-key",
        "Azure Storage Account access key",
        _r(r"(?i)(?:AccountKey|SharedAccessKey)=(?P<s>[A-Za-z0-9+/]{40,88}={0,2})"),
        group="s",
        keywords=("accountkey=", "sharedaccesskey="),
    ),
    Rule(
        "azure-sas-token",
        "Azure SAS Token",
        _r(
            r"(?P<s>(?:(?:sv|ss|srt|sp|se|st|spr|sip|sr|si|sig|skoid|sktid|skt|ske|sks|skv|sdd|"
            r"rscc|rscd|rsce|rscl|rsct)=[^&\s\"'<>;]*&)*sig=[A-Za-z0-9%+/=]{20,}"
            r"(?:&[a-z]{2,6}=[^&\s\"'<>;]*)*)"
        ),
        group="s",
        keywords=("sig=",),
    ),
    Rule(
        "azure-ad-client-secret",
        "Azure AD Client Secret",
        _r(r"[a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34}(?![\w~.-])"),
        keywords=("q~",),
        word=True,
    ),
    Rule(
        "artifactory",  # detect-secrets' patterns, without their slow leading alternation
        str(ArtifactoryDetector.secret_type),
        _r(r"(?:AKC[a-zA-Z0-9]{10,}|AP[\dABCDEF][a-zA-Z0-9]{8,})(?=[\s\"]|$)"),
        word=True,
        check=lambda v: char_classes(v) >= 3,
    ),
    *_from_detect_secrets(AzureStorageKeyDetector, ("accountkey=",)),
    *_from_detect_secrets(DiscordBotTokenDetector, ("discord",)),
    *_from_detect_secrets(
        GitLabTokenDetector,
        ("gr1348941",),
        gate=_r(r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-"),
    ),
    Rule(
        "detect-secrets:MailchimpDetector:0",
        str(MailchimpDetector.secret_type),
        finder=find_mailchimp_keys,
        keywords=("-us",),
    ),
    *_from_detect_secrets(NpmDetector, ("_authtoken",)),
    *_from_detect_secrets(PypiTokenDetector, ("pypi-",)),
    *_from_detect_secrets(SendGridDetector, ("sg.",)),
    *_from_detect_secrets(SquareOAuthDetector, ("sq0csp-",)),
    Rule(
        "telegram-bot-token",  # detect-secrets' pattern, with the "AA" every token starts with
        str(TelegramBotTokenDetector.secret_type),
        _r(r"\d{8,10}:AA[\w-]{33}(?![\w-])"),
        keywords=(":aa",),
        word=True,
    ),
    Rule(
        "url-credentials",
        "Basic Auth Credentials",
        _URL_CREDENTIALS,
        group="pw",
        keywords=("://",),
        check=url_password,
    ),
    Rule(
        "authorization-header",
        "Authorization Header",
        _AUTH_HEADER,
        group="s",
        keywords=("authorization",),
        check=lambda v: plausible_value(v, True) or (len(v) >= 20 and not _TEMPLATE.search(v)),
    ),
    Rule(
        "basic-auth-pair",
        BASIC_AUTH,
        finder=find_basic_auth_pairs,
        keywords=("auth", "credentials"),
    ),
    Rule(
        "curl-user",
        "Basic Auth Credentials",
        # `(?:^|\s)-u|--user...`, with the dash first: a literal the regex engine can skip to
        _r(r"-(?<!\S-)(?:u|-user)(?:[ \t]*|=)[\"']?(?P<s>[^\s\"':$]{1,100}:[^\s\"']{3,200})"),
        group="s",
        keywords=("curl", "wget", "--user", "-u "),
        check=lambda v: url_password(v.split(":", 1)[1]),
    ),
    Rule(
        "docker-config-auth",
        "Docker Registry Auth",
        _r(r"\"(?:auth|identitytoken|registrytoken)\"[ \t]*:[ \t]*\"(?P<s>[\w+/=.-]{8,})\""),
        group="s",
        keywords=('"auth"', '"identitytoken"', '"registrytoken"'),
    ),
    Rule("netrc-password", BASIC_AUTH, finder=find_netrc_passwords, keywords=("machine",)),
    Rule(
        "cli-password",
        "Basic Auth Credentials",
        _r(r"(?:sshpass|mysql\w*|login)\b[^\n]*?[ \t]-p[ \t]*[\"']?(?P<s>[^\s\"'$]{4,})"),
        group="s",
        keywords=("sshpass", "mysql", "login"),
        check=url_password,
    ),
    *(
        Rule(f"vendor-{name}", kind, _r(pattern), keywords=keywords, word=True, check=token_value)
        for name, kind, pattern, keywords in _VENDOR_TOKENS
    ),
    Rule(
        "private-key-base64",  # base64 of "-----BEGIN ... PRIVATE KEY" (k8s, env vars)
        PRIVATE_KEY,
        _r(
            r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{0,40}?(?:UFJJVkFURSBLRVk|QUklWQVRFIEtFW|BSSVZBVEUgS0VZ)"
            r"[A-Za-z0-9+/=\\\s]*"
        ),
        keywords=("ls0tls1crudjti",),
    ),
    Rule("k8s-secret", "Kubernetes Secret", finder=find_k8s_secret, keywords=("secret",)),
    Rule("tf-variable", KEYWORD, finder=find_tf_variable_default, keywords=("variable",)),
    Rule(
        "keyword-value",
        KEYWORD,
        finder=find_keyword_values,
    ),
)
