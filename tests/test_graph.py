"""minidl.graph.depth_first: the one depth-first walk behind autograd's backward order, a
functional model's call order, Keras's layer order and a layer's nested layers."""

from minidl.graph import depth_first

#   a -> b -> d          (a reaches b and c; both reach d)
#   a -> c -> d
DIAMOND = {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}


def test_post_order_puts_every_node_after_the_nodes_it_reaches():
    assert depth_first(["a"], DIAMOND.__getitem__) == ["d", "b", "c", "a"]


def test_neighbours_are_followed_in_the_order_given():
    reversed_diamond = {node: list(reversed(out)) for node, out in DIAMOND.items()}
    assert depth_first(["a"], reversed_diamond.__getitem__) == ["d", "c", "b", "a"]


def test_on_enter_sees_a_pre_order_and_each_node_once():
    entered, asked = [], []

    def neighbours(node):
        asked.append(node)
        return DIAMOND[node]

    depth_first(["a", "d"], neighbours, on_enter=entered.append)
    assert entered == ["a", "b", "d", "c"] and sorted(asked) == ["a", "b", "c", "d"]


def test_key_says_which_nodes_are_the_same():
    graph = {("x", 1): [("y", 1), ("y", 2)], ("y", 1): [], ("y", 2): []}
    assert depth_first([("x", 1)], graph.__getitem__, key=lambda node: node[0]) == [("y", 1), ("x", 1)]


def test_a_graph_deeper_than_the_recursion_limit():
    depth = 200_000
    order = depth_first([0], lambda node: [node + 1] if node < depth else [])
    assert order[0] == depth and order[-1] == 0 and len(order) == depth + 1
