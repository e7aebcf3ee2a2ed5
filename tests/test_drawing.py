"""Unit tests for helpers.drawing (a drawn digit preprocessed like MNIST) and the lesson 7
drawing pad, helpers.widgets.DigitPad, driven from Python with stand-in predict functions.
What the pad does in a real browser: test_browser.py, test_the_digit_pad_reads_a_drawn_digit.
"""

import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from ipycanvas.canvas import COMMANDS  # noqa: E402

from helpers.data import load_mnist  # noqa: E402
from helpers.drawing import mnist_like, render_strokes, stroke_points  # noqa: E402
from helpers.widgets import DigitPad, digit_pad_widget  # noqa: E402

_CANVAS_COMMANDS = {number: name for name, number in COMMANDS.items()}

# Digits as strokes in unit coordinates (x right, y down, 0..1), drawn at any place and size.
SEVEN = [[(0.1, 0.05), (0.9, 0.05), (0.45, 1.0)], [(0.3, 0.5), (0.8, 0.5)]]
FOUR = [[(0.6, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]]
ONE = [[(0.5, 0.0), (0.5, 1.0)]]
CIRCLE = [[(0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a)) for a in np.linspace(0, 7, 40)]]


def placed(digit, scale: float, x0: float, y0: float) -> list[list[tuple[float, float]]]:
    """The strokes of ``digit`` scaled by ``scale`` pixels and moved to (x0, y0)."""
    return [[(x0 + scale * x, y0 + scale * y) for x, y in stroke] for stroke in digit]


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def ink_box(image: np.ndarray) -> tuple[int, int]:
    """(height, width) of the bounding box of the pixels above 0."""
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# render_strokes: the pen


def test_a_line_is_drawn_with_a_round_pen_of_the_given_width():
    image = render_strokes([[(50.0, 100.3), (150.0, 100.3)]], shape=(200, 300), width=20)
    assert image.shape == (200, 300) and image.dtype == np.float32
    assert image.min() == 0.0 and image.max() == 1.0
    assert (image[91:110, 50:150] == 1).all()  # pixel centres within 10 px of the line
    # its edge is anti-aliased: row 90's centre (90.5) is 9.8 px from the line, 0.2 px inside
    # the pen's edge, so 0.7 ink; row 110's centre is 10.2 px away, 0.3 ink; rows beyond, none
    assert image[90, 100] == pytest.approx(0.7, abs=1e-5)
    assert image[110, 100] == pytest.approx(0.3, abs=1e-5)
    assert not image[:90].any() and not image[111:].any()
    assert ink_box(image) == (21, 120)  # round caps: 10 px past either end
    assert image[100, 40:160].all() and not image[100, :40].any() and not image[100, 160:].any()
    assert image[90, 40] == 0.0  # a round cap leaves the corner of its square empty


def test_a_single_point_is_a_round_dot_and_strokes_join_their_points():
    dot = render_strokes([[(100.0, 100.0)]], width=30)
    assert dot.sum() == pytest.approx(math.pi * 15**2, rel=0.02)
    assert centre_of_mass(dot) == pytest.approx((99.5, 99.5), abs=0.01)  # around the point
    far_apart = render_strokes([[(20.0, 20.0), (250.0, 250.0)]], width=10)
    diagonal = far_apart[np.arange(20, 250), np.arange(20, 250)]
    assert (diagonal == 1).all()  # the pen went all the way between the two points


def test_strokes_overlap_without_adding_up_and_the_outside_is_cut_off():
    cross = render_strokes([[(0, 50), (100, 50)], [(50, 0), (50, 100)]], (100, 100), width=8)
    assert cross.max() == 1.0
    outside = render_strokes([[(-50, -50), (-10, -10)]], (100, 100), width=8)
    assert not outside.any()
    partly = render_strokes([[(-50, 50), (50, 50)]], (100, 100), width=8)
    assert partly[50, 0] == 1.0 and partly[50, 60] == 0.0
    assert not render_strokes([], (10, 20)).any() and render_strokes([], (10, 20)).shape == (10, 20)


@pytest.mark.parametrize(
    ("strokes", "options", "says"),
    [
        ([[]], {}, "stroke 0 should be a non-empty list"),
        ([[(1, 2)], [(1, 2, 3)]], {}, "stroke 1 should be a non-empty list of (x, y) points"),
        ([[(1, float("nan"))]], {}, "not a finite number"),
        ([["ab"]], {}, "stroke 0 should be a list of (x, y) points"),
        ([], {"shape": (0, 5)}, "two positive integers"),
        ([], {"shape": (28,)}, "two positive integers"),
        ([], {"shape": (2.5, 3)}, "two positive integers"),
        ([], {"width": 0}, "positive number"),
        ([], {"width": float("inf")}, "positive number"),
        ([], {"width": "thick"}, "number of pixels"),
    ],
)
def test_render_strokes_rejects_bad_input_with_a_clear_message(strokes, options, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        render_strokes(strokes, **options)


def test_stroke_points_gives_an_n_by_2_array():
    points = stroke_points([(1, 2), (3, 4)])
    assert points.dtype == np.float64 and points.tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="stroke 3"):
        stroke_points([1, 2], index=3)


# mnist_like: the preprocessing


@pytest.mark.parametrize(
    ("digit", "scale", "x0", "y0"),
    [(ONE, 200, 40, 40), (SEVEN, 220, 30, 20), (FOUR, 90, 170, 10), (CIRCLE, 120, 10, 150)],
)
def test_the_digit_is_20_pixels_long_and_its_centre_of_mass_at_14_14(digit, scale, x0, y0):
    out = mnist_like(render_strokes(placed(digit, scale, x0, y0)))
    assert out.shape == (784,) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    image = out.reshape(28, 28)
    assert max(ink_box(image)) == 20
    row, col = centre_of_mass(image)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5, (row, col)


def test_the_aspect_ratio_is_kept():
    # an ellipse 200 wide and 80 tall (pen included): 20 wide and 8 tall after scaling
    ellipse = [[(140 + 90 * math.cos(a), 140 + 30 * math.sin(a)) for a in np.linspace(0, 7, 60)]]
    drawn = render_strokes(ellipse, width=20)
    assert ink_box(drawn) == (80, 200)
    height, width = ink_box(mnist_like(drawn).reshape(28, 28))
    assert width == 20 and height == 8
    tall = ink_box(mnist_like(drawn.T).reshape(28, 28))
    assert tall == (20, height)


def test_a_digit_drawn_small_in_a_corner_looks_like_the_same_digit_drawn_big():
    for digit in (SEVEN, FOUR):
        big = mnist_like(render_strokes(placed(digit, 200, 40, 40), width=24))
        small = mnist_like(render_strokes(placed(digit, 60, 15, 205), width=24 * 60 / 200))
        assert np.abs(big - small).mean() < 0.02
        assert np.abs(big - small).max() < 0.35
        one = mnist_like(render_strokes(placed(ONE, 200, 40, 40), width=24))
        assert np.abs(big - one).mean() > 0.1  # another digit is far from it


def test_an_mnist_digit_blown_up_10_times_comes_back_as_it_was():
    """MNIST's digits were prepared this way: cropped, 20 pixels long, centred by mass."""
    _, _, x_test, _ = load_mnist(verify_checksum=False)
    digits = x_test[:100].reshape(-1, 28, 28)
    compared = 0
    for digit in digits:
        if max(ink_box(digit)) != 20:
            continue  # a rare digit whose faint edge made it 19 pixels: scaled to 20 here
        blown_up = np.kron(digit, np.ones((10, 10), dtype=np.float32))  # 280x280
        np.testing.assert_allclose(mnist_like(blown_up), digit.ravel(), atol=1e-5)
        compared += 1
    assert compared >= 95


def test_an_empty_drawing_gives_zeros_and_any_real_dtype_is_accepted():
    for empty in (np.zeros((280, 280)), np.zeros((5, 7), dtype=np.float32), render_strokes([])):
        out = mnist_like(empty)
        assert out.shape == (784,) and out.dtype == np.float32 and not out.any()
    full = mnist_like(np.ones((50, 50), dtype=bool)).reshape(28, 28)
    assert full.dtype == np.float32 and full.sum() == 400 and ink_box(full) == (20, 20)
    assert mnist_like(np.eye(30, dtype=np.uint8)).max() <= 1.0


def test_a_tiny_drawing_is_enlarged_to_20_pixels():
    image = np.zeros((100, 100))
    image[10:14, 10:12] = 1.0  # 4 tall, 2 wide
    out = mnist_like(image).reshape(28, 28)
    assert ink_box(out) == (20, 10) and set(np.unique(out)) == {0.0, 1.0}


def test_ink_pushed_past_the_edge_is_cut_off():
    image = np.zeros((100, 100))
    image[0:100, 0] = 1.0  # a line 100 tall
    image[0:5, 0:100] = 1.0  # and a heavy bar along its top: the mass is near the top
    out = mnist_like(image).reshape(28, 28)
    row, _ = centre_of_mass(out)
    assert out[27].any() and row > 13  # shifted down as far as the image lets it
    assert out.max() <= 1.0


@pytest.mark.parametrize(
    ("image", "says"),
    [
        (np.zeros(784), r"2-D grayscale.*reshape\(28, 28\)"),
        (np.zeros((28, 28, 3)), "colour image"),
        (np.zeros((2, 3, 4, 5)), r"got shape \(2, 3, 4, 5\)"),
        (np.zeros((0, 4)), "at least one pixel"),
        (np.full((4, 4), 255.0), "/ 255"),
        (-np.ones((4, 4)), "in \\[0, 1\\]"),
        (np.full((4, 4), np.nan), "not finite"),
        (np.array([["a", "b"]]), "real numbers"),
        (np.zeros((2, 2), dtype=complex), "real numbers"),
        ("a picture", "real numbers"),
    ],
)
def test_mnist_like_rejects_bad_input_with_a_clear_message(image, says):
    with pytest.raises(ValueError, match=says):
        mnist_like(image)


# DigitPad: the widget


class StandIn:
    """A predict_proba stand-in that records its calls and gives ``digit`` 0.91, the rest 0.01."""

    def __init__(self, digit: int = 7):
        self.digit, self.calls = digit, []

    def __call__(self, X, params):
        self.calls.append((X.copy(), params))
        p = np.full((len(X), 10), 0.01, dtype=X.dtype)
        p[:, self.digit] = 0.91
        return p


def mouse(pad: DigitPad, event: str, x: float, y: float) -> None:
    """What the browser sends when the mouse acts on the pad's canvas."""
    pad.canvas._handle_frontend_event(None, {"event": event, "x": x, "y": y}, [])


def test_the_pad_starts_empty_and_asks_nothing():
    predict = StandIn()
    pad = digit_pad_widget(predict, params=[])
    assert isinstance(pad, DigitPad)
    assert pad.canvas.width == pad.canvas.height == 280
    assert pad.prediction is None and pad.probabilities is None and pad.error is None
    assert "Draw a digit" in pad.summary.value
    assert predict.calls == [] and pad.predictions == 0
    assert bytes(pad.seen.value).startswith(b"\x89PNG")


def test_each_stroke_asks_the_network_once_with_what_mnist_like_gives():
    predict = StandIn(digit=7)
    params = [(np.ones((784, 10), np.float32), np.zeros(10, np.float32))]
    pad = digit_pad_widget(predict, params)
    empty_picture = pad.seen.value
    strokes = placed(SEVEN, 200, 40, 40)

    pad.draw_strokes(strokes[:1])
    assert len(predict.calls) == 1
    X, given = predict.calls[0]
    assert X.shape == (1, 784) and X.dtype == np.float32 and given is params
    np.testing.assert_array_equal(X[0], mnist_like(render_strokes(strokes[:1], width=24)))

    pad.draw_strokes(strokes[1:])
    assert len(predict.calls) == 2 and pad.predictions == 2
    both = mnist_like(render_strokes(strokes, width=24))
    np.testing.assert_array_equal(predict.calls[1][0][0], both)
    np.testing.assert_array_equal(pad.network_input, both)
    assert pad.strokes == [[(float(x), float(y)) for x, y in s] for s in strokes]
    assert pad.prediction == 7
    assert pad.probabilities.shape == (10,) and pad.probabilities[7] == pytest.approx(0.91)
    assert "I think it's a <b>7</b> (91%)" in pad.summary.value
    assert pad.seen.value != empty_picture
    assert "91.0%" in pad.bars.value
    assert plt.get_fignums() == []


def test_mouse_events_draw_and_the_network_is_asked_when_the_button_is_released():
    predict = StandIn(digit=1)
    pad = digit_pad_widget(predict, params=[])
    mouse(pad, "mouse_move", 10, 10)  # moving without the button down draws nothing
    mouse(pad, "mouse_down", 140, 40)
    for y in range(50, 250, 10):
        mouse(pad, "mouse_move", 141, y)
    assert predict.calls == [] and pad.prediction is None  # not while the pen moves
    mouse(pad, "mouse_up", 141, 250)
    assert len(predict.calls) == 1 and pad.prediction == 1
    assert pad.strokes[0][0] == (140.0, 40.0) and pad.strokes[0][-1] == (141.0, 250.0)
    assert pad.ink.shape == (280, 280) and pad.ink[150, 140] == 1.0
    mouse(pad, "mouse_up", 141, 250)  # a second release is not a second stroke
    mouse(pad, "mouse_down", 50, 50)
    mouse(pad, "mouse_out", 0, 60)  # leaving the pad ends the stroke
    assert len(predict.calls) == 2 and len(pad.strokes) == 2
    mouse(pad, "mouse_down", 100, 100)
    mouse(pad, "mouse_move", 100, 200)
    mouse(pad, "mouse_down", 200, 100)  # a press with no release before: that stroke ended
    assert len(predict.calls) == 3 and pad.ink[150, 100] == 1.0


def test_touch_draws_like_the_mouse():
    predict = StandIn(digit=1)
    pad = digit_pad_widget(predict, params=[])
    events = [("touch_start", [(140, 40)]), ("touch_move", [(140, 150)]), ("touch_end", [])]
    for event, touches in events:
        pad.canvas._handle_frontend_event(
            None, {"event": event, "touches": [{"x": x, "y": y} for x, y in touches]}, []
        )
    assert len(predict.calls) == 1 and pad.strokes == [[(140.0, 40.0), (140.0, 150.0)]]


def test_clear_resets_the_pad():
    predict = StandIn(digit=4)
    pad = digit_pad_widget(predict, params=[])
    empty_picture = pad.seen.value
    pad.draw_strokes(placed(FOUR, 200, 40, 40))
    assert pad.prediction == 4
    pad.clear_button.click()
    assert pad.strokes == [] and not pad.ink.any() and not pad.network_input.any()
    assert pad.prediction is None and pad.probabilities is None
    assert "Draw a digit" in pad.summary.value and pad.seen.value == empty_picture
    pad.draw_strokes(placed(ONE, 200, 40, 40))  # and draws again from scratch
    np.testing.assert_array_equal(
        predict.calls[-1][0][0], mnist_like(render_strokes(placed(ONE, 200, 40, 40), width=24))
    )


def test_a_new_browser_view_gets_the_whole_drawing_again(monkeypatch):
    """A reloaded page recreates the canvas blank, and says so ("client_ready"): the pad paints
    it again, first naming the canvas, which ipycanvas 0.14 forgets to do after a reload."""
    pad = digit_pad_widget(StandIn(digit=1), params=[])
    pad.draw_strokes(placed(SEVEN, 200, 40, 40))
    sent = []
    manager = pad.canvas._canvas_manager
    monkeypatch.setattr(manager, "_send_custom", lambda command, buffers=(): sent.append(command))
    pad.canvas._handle_frontend_event(None, {"event": "client_ready"}, [])
    [batch] = sent  # one message: painted under hold_canvas
    names = [_CANVAS_COMMANDS[command[0]] for command in batch]
    assert names[0] == "switchCanvas"
    assert names.count("fillRect") == 1  # the black background
    assert names.count("strokeLines") == 2  # and the two strokes of the 7


def test_ink_entirely_off_the_pad_is_not_a_digit():
    predict = StandIn()
    pad = digit_pad_widget(predict, params=[])
    pad.draw_strokes([[(-100, -100), (-50, -50)]])
    assert predict.calls == [] and pad.prediction is None and "Draw a digit" in pad.summary.value


def raises_not_implemented(X, params):
    raise NotImplementedError()


def raises_shape_error(X, params):
    return X @ np.zeros((10, 784))


@pytest.mark.parametrize(
    ("predict_proba", "error", "says"),
    [
        (raises_not_implemented, NotImplementedError, "is not implemented yet"),
        (raises_shape_error, ValueError, "raised ValueError</b>: matmul"),
        (lambda X, params: None, TypeError, "forget a `return`"),
        (lambda X, params: np.full(10, 0.1), ValueError, "Keep the batch axis"),
        (lambda X, params: np.full((2, 10), 0.1), ValueError, r"returned shape (2, 10)"),
        (lambda X, params: (np.full((1, 10), 0.1), []), TypeError, "a tuple of 2 values"),
        (lambda X, params: np.arange(10.0)[None], ValueError, "logits instead of their softmax"),
        (lambda X, params: np.full((1, 10), np.nan), ValueError, "softmax stable"),
        (lambda X, params: "seven", TypeError, "str, not an array of numbers"),
    ],
)
def test_a_broken_predict_proba_gets_a_message_naming_it_not_an_exception(
    predict_proba, error, says
):
    pad = digit_pad_widget(predict_proba, params=[])
    pad.draw_strokes(placed(ONE, 200, 40, 40))
    assert isinstance(pad.error, error)
    assert pad.prediction is None and pad.probabilities is None
    assert says in pad.summary.value
    name = "predict_proba" if predict_proba.__name__ == "<lambda>" else predict_proba.__name__
    assert f"Fix {name} above" in pad.summary.value  # named, even when given as a lambda
    assert "then draw again" in pad.summary.value
    assert pad.network_input.any()  # what the network would see is still shown
    assert plt.get_fignums() == []


def test_the_pad_rejects_bad_options():
    with pytest.raises(TypeError, match="predict_fn should be a function"):
        digit_pad_widget(np.zeros(3), params=[])
    with pytest.raises(ValueError, match="size"):
        digit_pad_widget(StandIn(), params=[], size=20)
    with pytest.raises(ValueError, match="pen_width"):
        digit_pad_widget(StandIn(), params=[], pen_width=0)
    pad = digit_pad_widget(StandIn(), params=[], size=140, pen_width=12)
    assert pad.ink.shape == (140, 140) and pad.canvas.width == 140
    with pytest.raises(ValueError, match="stroke 1"):
        pad.draw_strokes([[(1, 2)], []])
    assert pad.strokes == []  # checked before anything is drawn
