"""Python context after `receiver.` when the receiver's class is not written next to it:
an attribute assigned from an annotated `__init__` parameter, a local holding what a
classmethod returns (`Optional["IOLoop"]`), members inherited several bases up, and
modules that re-export names through other modules (`from ._gen import *`,
`from ._socket import socket as socket`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context.candidates import candidates_for_cursor
from lsp_server.context.gather import W_BASE_OF_RECEIVER, W_CURSOR, W_SELF_MEMBER
from lsp_server.context.names import (
    annotation_class,
    call_assignments,
    entered_class,
    receiver_types,
    with_targets,
)
from lsp_server.context.receivers import MIN_CHAIN_SHARE
from lsp_server.context.view import IndexView
from lsp_server.index.pymodules import exported, modules_for
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

FILES = {
    # a stream class whose `closed` is inherited from a base in another file
    "net/base.py": (
        "class BaseStream:\n"
        "    def closed(self) -> bool:\n"
        "        return False\n\n"
        "    def close_quietly(self) -> None:\n"
        "        pass\n"
    ),
    "net/stream.py": (
        "from net.base import BaseStream\n\n\n"
        "class IOStream(BaseStream):\n"
        "    def write(self, data: bytes) -> None:\n"
        "        pass\n"
    ),
    "net/conn.py": (
        "from net.stream import IOStream\n\n\n"
        "class Connection:\n"
        "    def __init__(self, transport: IOStream, limit: int = 3) -> None:\n"
        "        self.transport = transport\n"
        "        self.limit = limit\n\n"
        "    def done(self) -> bool:\n"
        "        return self.transport.\n"
    ),
    # a member four classes up the chain from the class around the cursor
    "ui/pump.py": (
        "class Pump:\n"
        "    def post_message(self, message: object) -> bool:\n"
        "        return True\n\n"
        "    def call_later(self, callback: object) -> bool:\n"
        "        return True\n"
    ),
    "ui/node.py": (
        "from ui.pump import Pump\n\n\nclass Node(Pump):\n    def walk(self):\n        pass\n"
    ),
    "ui/widget.py": (
        "from ui.node import Node\n\n\nclass Widget(Node):\n    def render(self):\n        pass\n"
    ),
    "ui/view.py": (
        "from ui.widget import Widget\n\n\nclass ScrollView(Widget):\n    def scroll(self):\n"
        "        pass\n"
    ),
    "ui/table.py": (
        "from ui.view import ScrollView\n\n\n"
        "class Table(ScrollView):\n"
        "    def refresh_rows(self) -> None:\n"
        "        self.post_message('rows')\n\n"
        "    def clear(self) -> None:\n"
        "        self.\n"
    ),
    # a local holding what a classmethod returns, its type written as Optional["..."]
    "loop/util.py": (
        "class Configurable:\n"
        "    def add_timeout(self, deadline: float, callback: object) -> object:\n"
        "        return None\n"
    ),
    "loop/ioloop.py": (
        "from typing import Optional\n\n"
        "from loop.util import Configurable\n\n\n"
        "class IOLoop(Configurable):\n"
        "    @classmethod\n"
        '    def current(cls) -> Optional["IOLoop"]:\n'
        "        return None\n"
    ),
    "loop/locks.py": (
        "from loop import ioloop\n\n\n"
        "def wait(timeout: float) -> None:\n"
        "    io_loop = ioloop.IOLoop.current()\n"
        "    handle = io_loop.\n"
    ),
    "loop/waiter.py": (
        "from loop.ioloop import IOLoop\n\n\n"
        "def wait(loop: IOLoop, deadline: float):\n"
        "    timeout_handle = loop."
    ),
    # names re-exported through a package `__init__`, a module and a star import
    "core/__init__.py": "from ._run import run, spawn_system_task\n",
    "core/_run.py": "from ._gen import *\n\n\ndef run(main):\n    pass\n",
    "core/_gen.py": "def spawn_system_task(fn, *args):\n    pass\n",
    "core/socket.py": (
        "from ._socket import open_socket as open_socket\nfrom ._socket import helper\n"
    ),
    "core/_socket.py": "def open_socket(family=0):\n    pass\n\n\ndef helper():\n    pass\n",
    "app/main.py": "from core import _run\nfrom core import socket as tsocket\nimport core\n",
    # a big class whose skeleton gets cut: the members that fit `stream.cl|` come first
    "big/stream.py": (
        "class Stream:\n"
        + "".join(
            f"    def {verb}_{noun}(self, data: bytes) -> int:\n        return 0\n\n"
            for verb in ("read", "write", "flush", "peek")
            for noun in ("bytes", "line", "until", "chunk", "header", "body")
        )
        + "    def closed(self) -> bool:\n        return False\n"
    ),
    "big/user.py": (
        "from big.stream import Stream\n\n\n"
        "class Reader:\n"
        "    def __init__(self, stream: Stream) -> None:\n"
        "        self.stream = stream\n\n"
        "    def pump(self):\n"
        "        self.stream.read_bytes(b'')\n"
        "        self.stream.write_line(b'')\n"
        "        self.stream.peek_header(b'')\n"
        "        if not self.stream.cl"
    ),
    # another transport's class of the same name: not a class of this cursor's receivers
    "transport/etcd.py": (
        "class Channel:\n    def queues(self):\n        return []\n\n"
        "    def refresh(self):\n        pass\n"
    ),
    "transport/redis.py": (
        "from transport import virtual\n\n\n"
        "class Channel(virtual.Channel):\n"
        "    def _size(self, queue):\n"
        "        found = self.queues()\n"
        "        return len(found)\n"
    ),
    # an attribute a base class (another file) assigns from its annotated parameter
    "drv/app.py": "class App:\n    def call_later(self, callback) -> bool:\n        return True\n",
    "drv/driver.py": (
        "from drv.app import App\n\n\n"
        "class Driver:\n"
        "    def __init__(self, app: App, debug: bool = False) -> None:\n"
        "        self._app = app\n"
        "        self._debug = debug\n"
    ),
    "drv/linux.py": (
        "from drv.driver import Driver\n\n\n"
        "class LinuxDriver(Driver):\n"
        "    def start(self):\n"
        "        self._app."
    ),
    # a variable bound by `with`: the class the context manager gives
    "cm/run.py": (
        "from contextlib import AbstractAsyncContextManager\n\n\n"
        "class Nursery:\n    def start_soon(self, fn):\n        pass\n\n\n"
        "def open_nursery() -> AbstractAsyncContextManager[Nursery]:\n    pass\n"
    ),
    "cm/user.py": (
        "from cm import run\n\n\n"
        "async def main():\n"
        "    async with run.open_nursery() as tasks:\n"
        "        tasks."
    ),
    # a local holding an attribute the class assigns elsewhere
    "reg/adapter.py": (
        "class BaseRegistry:\n"
        "    def registered(self, required, provided, name=''):\n"
        "        return None\n\n\n"
        "class AdapterRegistry(BaseRegistry):\n"
        "    pass\n"
    ),
    "reg/components.py": (
        "from reg.adapter import AdapterRegistry\n\n\n"
        "class Components:\n"
        "    def _init(self):\n"
        "        self.utilities = AdapterRegistry()\n\n"
        "    def counts(self):\n" + "".join(f"        count_{i} = {i}\n" for i in range(70)) + "\n"
        "    def rebuild(self, provided):\n"
        "        utils = self.utilities\n"
        "        if utils."
    ),
    # a subclass named like its base, which a module imported by name holds
    "transport/virtual/base.py": (
        "class Channel:\n"
        "    def _lookup(self, exchange, routing_key):\n"
        "        return []\n\n"
        "    def basic_get(self, queue):\n"
        "        pass\n"
    ),
    "transport/virtual/__init__.py": "from .base import Channel\n",
    "transport/memory.py": (
        "from transport import virtual\n\n\n"
        "class Channel(virtual.Channel):\n"
        "    def _get(self, queue):\n"
        "        return queue\n\n"
        "    def _put(self, queue, message):\n"
        "        pass\n"
    ),
    "transport/user.py": (
        "from transport.memory import Channel\n\n\n"
        "def drain(channel: Channel, queue):\n"
        "    for found in channel."
    ),
    # a big module of similarly named classes, one of which the enclosing method's name fits
    "ddl/base.py": "".join(
        f"class {verb}{noun}:\n    def __init__(self, table, name, schema=None):\n"
        f"        self.table = table\n\n\n"
        for verb in ("Add", "Drop", "Rename", "Alter", "Create")
        for noun in ("Column", "Table", "Index", "Constraint", "Comment", "Default", "Type", "Name")
    ),
    "ddl/impl.py": (
        "from ddl import base\n\n\n"
        "class Impl:\n"
        "    def add_table(self, table):\n"
        "        self._exec(base.AddTable(table, table.name))\n\n"
        "    def drop_column(self, table_name, column, schema=None):\n"
        "        options = {}\n"
        "        options.update(self.options)\n"
        "        self.log(options)\n"
        "        self._exec(\n"
        "            "
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "py-receivers")


def _cut(rel: str) -> str:
    """The file's text up to its end (the cursor sits after its last `.`)."""
    return FILES[rel].rstrip("\n")


def test_attribute_typed_by_an_init_parameter_shows_the_inherited_member(
    index: RepoIndex,
) -> None:
    # `self.transport = transport`, `transport: IOStream`: the stream's base has `closed`
    assert "def closed(self) -> bool:" in prompt(index, "net/conn.py", _cut("net/conn.py"))


def _scores(index: RepoIndex, rel: str, text: str) -> dict[str, float]:
    """`Container.name` (or `name`) -> score of each candidate gathered for the cursor."""
    lines = text.split("\n")
    view = IndexView(index, lambda _p: True, rel)
    index.update_text(index.root / rel, text)
    try:
        found = candidates_for_cursor(view, rel, "python", lines, [], 0).gathered
    finally:
        index.close_text(index.root / rel)
    return {
        f"{c.definition.container}.{c.definition.name}"
        if c.definition.container
        else c.definition.name: c.score
        for c in found.candidates.values()
    }


def test_cut_skeleton_of_the_receiver_class_shows_the_members_typed(index: RepoIndex) -> None:
    text = prompt(index, "big/user.py", FILES["big/user.py"], budget=150)
    assert "def closed(self) -> bool:" in text


def test_attribute_assigned_by_a_base_class_in_another_file(index: RepoIndex) -> None:
    # `self._app` is assigned in Driver.__init__ (`app: App`), not in LinuxDriver
    scores = _scores(index, "drv/linux.py", FILES["drv/linux.py"])
    assert scores.get("App", 0.0) >= W_CURSOR


def test_variable_bound_by_with_has_the_entered_class(index: RepoIndex) -> None:
    # `async with run.open_nursery() as nursery`, `-> AbstractAsyncContextManager[Nursery]`
    scores = _scores(index, "cm/user.py", FILES["cm/user.py"])
    assert scores.get("Nursery", 0.0) >= W_CURSOR


def test_with_targets_and_what_entering_gives() -> None:
    lines = [
        "    async with trio.open_nursery() as nursery:",
        "        with tsocket.socket() as sock, Lock() as lock:",
    ]
    assert with_targets(lines) == {
        "nursery": "trio.open_nursery",
        "sock": "tsocket.socket",
        "lock": "Lock",
    }
    assert entered_class("AbstractAsyncContextManager[Nursery]") == "Nursery"
    assert entered_class("Generator['Foo', None, None]") == "Foo"
    assert entered_class("SocketType") == "SocketType"


def test_self_member_several_bases_up_that_the_file_calls(index: RepoIndex) -> None:
    # Table -> ScrollView -> Widget -> Node -> Pump: `post_message` lives four bases up,
    # and the file calls it on `self` (further up than the names read around the cursor)
    text = _cut("ui/table.py").replace("\n\n    def clear", "\n" + "\n" * 50 + "    def clear")
    scores = _scores(index, "ui/table.py", text)
    assert scores.get("Pump.post_message", 0.0) >= W_CURSOR * W_BASE_OF_RECEIVER**4
    assert "Pump.call_later" not in scores  # not called here: the skeleton may list it
    assert "def post_message(self, message: object) -> bool:" in prompt(index, "ui/table.py", text)


def test_local_copy_of_an_attribute_has_the_attribute_type(index: RepoIndex) -> None:
    # `utils = self.utilities`, `self.utilities = AdapterRegistry()` in a method far above
    # (AdapterRegistry adds nothing public: its base, which holds `registered`, weighs most)
    scores = _scores(index, "reg/components.py", FILES["reg/components.py"])
    assert scores.get("AdapterRegistry", 0.0) >= W_CURSOR * MIN_CHAIN_SHARE
    assert scores.get("BaseRegistry", 0.0) >= W_CURSOR


def test_base_of_the_same_name_from_an_imported_module(index: RepoIndex) -> None:
    # `channel: Channel`, `class Channel(virtual.Channel)`: the base is virtual's Channel,
    # not the class itself
    text = prompt(index, "transport/user.py", FILES["transport/user.py"])
    assert "def _lookup(self, exchange, routing_key):" in text


def test_same_named_class_elsewhere_is_not_the_enclosing_class(index: RepoIndex) -> None:
    # `self.queues()` in redis's Channel: etcd's `Channel.queues` is someone else's member
    scores = _scores(index, "transport/redis.py", FILES["transport/redis.py"] + "\n        ")
    assert scores.get("Channel.queues", 0.0) < W_SELF_MEMBER * 0.4


def test_local_from_a_classmethod_with_an_optional_return_type(index: RepoIndex) -> None:
    # `io_loop = ioloop.IOLoop.current()`, `current() -> Optional["IOLoop"]`: io_loop is an
    # IOLoop, whose base has `add_timeout`
    scores = _scores(index, "loop/locks.py", _cut("loop/locks.py"))
    assert scores.get("IOLoop", 0.0) >= W_CURSOR
    assert scores.get("Configurable", 0.0) >= W_CURSOR * W_BASE_OF_RECEIVER


def test_member_whose_words_the_line_uses_fits_an_untyped_dot(index: RepoIndex) -> None:
    # `timeout_handle = loop.|`: of IOLoop's (inherited) members, `add_timeout` fits
    scores = _scores(index, "loop/waiter.py", FILES["loop/waiter.py"])
    assert scores.get("Configurable.add_timeout", 0.0) >= W_CURSOR * W_BASE_OF_RECEIVER * 0.5


def test_module_offers_names_reexported_through_a_star_import(index: RepoIndex) -> None:
    modules = modules_for(index.files())
    names = {
        d.name: d.path
        for d in exported("core/__init__.py", modules, index.file_definitions, index.imports_of)
    }
    assert names.get("spawn_system_task") == "core/_gen.py"
    assert names.get("run") == "core/_run.py"


def test_module_offers_its_explicit_reexports_only(index: RepoIndex) -> None:
    modules = modules_for(index.files())
    names = {
        d.name
        for d in exported("core/socket.py", modules, index.file_definitions, index.imports_of)
    }
    # `open_socket as open_socket` re-exports; a plain `import helper` is for its own use
    assert names == {"open_socket"}


def test_prompt_after_a_reexporting_module_shows_the_star_imported_name(index: RepoIndex) -> None:
    text = FILES["app/main.py"] + "\n\ncore.spawn_system_task(print)\ncore.run(main)\ncore."
    assert "def spawn_system_task(fn, *args):" in prompt(index, "app/main.py", text)


def test_enclosing_function_name_picks_the_module_member_it_builds(index: RepoIndex) -> None:
    # `def drop_column`: of 40 classes of `base`, `DropColumn` is the one its words name
    text = prompt(index, "ddl/impl.py", FILES["ddl/impl.py"], budget=200)
    assert "class DropColumn:" in text


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        ('Optional["IOStream"]', "IOStream"),
        ("IOStream | None", "IOStream"),
        ("iostream.IOStream", "IOStream"),
        ("t.Union[Cache[K, V], None]", "Cache"),
        ("list[IOStream]", None),
        ("Callable[[Message], None]", None),
        ("IOStream | BytesIO", None),
        ("int", None),
    ],
)
def test_annotation_names_a_class(annotation: str, expected: str | None) -> None:
    assert annotation_class(annotation) == expected


def test_receiver_types_from_parameters_annotations_and_casts() -> None:
    signature = 'def f(self, event: "Tabs.Cleared", cb: Callable[[A], B] = g, *, n: int) -> None:'
    lines = [
        "    handler = cast(RequestHandler, self)",
        "    self.cache: LRUCache[str, bytes] | None = None",
        "    store = self.cache",
        "    msg = Message(data)",
    ]
    assert receiver_types(signature, lines, "python") == {
        "event": "Cleared",
        "handler": "RequestHandler",
        "cache": "LRUCache",
        "store": "LRUCache",
        "msg": "Message",
    }


def test_call_assignments_keep_the_receiver() -> None:
    lines = ["    loop = ioloop.IOLoop.current()", "    d = self._build()", "    x = make(1)"]
    assert call_assignments(lines) == {
        "loop": "IOLoop.current",
        "d": "self._build",
        "x": "make",
    }
