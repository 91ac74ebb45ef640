"""``keras.ops``, ``keras.random``, ``keras.Variable`` and ``keras.config`` (Keras 3) on minidl.

Expected values come from NumPy (or Python's ``math``) written out here, and the dtypes are
Keras 3's, as printed by Keras 3.15 on TensorFlow; gradients are checked by finite differences.
Where real Keras is installed, the last tests run the same calls on it and compare.
"""

import math
import re
import sys

import numpy as np
import pytest

import minidl
import minidl.keras as keras
import minidl.tf as tf
from minidl.errors import UnsupportedError
from minidl.keras import ops, unsupported
from minidl.keras.ops import _result_dtype
from tests.conftest import REPO_ROOT

X23 = np.array([[3, 1, 2], [0, 5, 4]])  # int64, as NumPy makes it
F23 = X23.astype(np.float32)
RNG = np.random.default_rng(0)
A34 = RNG.normal(size=(3, 4))
B45 = RNG.normal(size=(4, 5))
V5 = RNG.normal(size=(5,))


def _np(value):
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def check(result, expected, dtype=None, rtol=1e-6):
    """``result`` (a tensor, or a list/tuple of them) equals ``expected`` in values and dtype."""
    if isinstance(expected, (list, tuple)):
        assert isinstance(result, (list, tuple)) and len(result) == len(expected)
        for got, want in zip(result, expected):
            check(got, want, dtype, rtol)
        return
    expected = np.asarray(expected)
    got = _np(result)
    assert got.dtype == np.dtype(dtype or expected.dtype), (got.dtype, dtype or expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=1e-7)


# -- values and dtypes against NumPy --------------------------------------------------------------

VALUE_CASES = [
    # the tester's three findings
    ("mean of ints is float32", lambda: ops.mean([1, 2]), np.float32(1.5)),
    ("mean of int64 along an axis", lambda: ops.mean(X23, axis=0), X23.mean(0).astype(np.float32)),
    ("mean of float64 stays float64", lambda: ops.mean(X23.astype(np.float64)), np.float64(2.5)),
    ("argmax is int32", lambda: ops.argmax([1, 3, 2]), np.int32(1)),
    ("argmax keepdims", lambda: ops.argmax(F23, axis=1, keepdims=True), np.array([[0], [1]], np.int32)),
    ("argmax flattened keepdims", lambda: ops.argmax(X23, keepdims=True), np.array([[4]], np.int32)),
    ("argmin axis 0", lambda: ops.argmin(X23, axis=0), X23.argmin(0).astype(np.int32)),
    ("where with the condition alone", lambda: ops.where(np.array([[1, 0], [0, 1]])),
     tuple(i.astype(np.int32) for i in np.nonzero([[1, 0], [0, 1]]))),
    ("where promotes", lambda: ops.where(np.array([True, False]), 1, 2.5), np.array([1.0, 2.5], np.float32)),
    # creation
    ("eye", lambda: ops.eye(3, 4, k=1), np.eye(3, 4, 1, dtype=np.float32)),
    ("eye int32", lambda: ops.eye(2, dtype="int32"), np.eye(2, dtype=np.int32)),
    ("linspace", lambda: ops.linspace(0, 1, 5), np.linspace(0, 1, 5, dtype=np.float32)),
    ("linspace int floors", lambda: ops.linspace(0, 10, 5, dtype="int32"), np.array([0, 2, 5, 7, 10], np.int32)),
    ("linspace no endpoint", lambda: ops.linspace(0, 1, 4, endpoint=False), np.array([0, .25, .5, .75], np.float32)),
    ("linspace retstep", lambda: ops.linspace(0, 1, 5, retstep=True),
     (np.linspace(0, 1, 5, dtype=np.float32), np.float32(0.25))),
    ("linspace of arrays", lambda: ops.linspace([0, 1], [1, 3], 3, axis=1),
     np.linspace([0, 1], [1, 3], 3, axis=1).astype(np.float32)),
    ("full is floatx", lambda: ops.full((2,), 3), np.full(2, 3, np.float32)),
    ("full broadcasts", lambda: ops.full((2, 2), np.array([1., 2.])), np.array([[1., 2.], [1., 2.]], np.float32)),
    ("full_like keeps x's dtype", lambda: ops.full_like(np.zeros(2, np.int32), 3.7), np.array([3, 3], np.int32)),
    ("tri", lambda: ops.tri(2, 3, k=1, dtype="int32"), np.tri(2, 3, 1, dtype=np.int32)),
    ("meshgrid xy", lambda: ops.meshgrid(np.arange(2), np.arange(3)), np.meshgrid(np.arange(2), np.arange(3))),
    ("meshgrid ij", lambda: ops.meshgrid(np.arange(2), np.arange(3), np.arange(1), indexing="ij"),
     np.meshgrid(np.arange(2), np.arange(3), np.arange(1), indexing="ij")),
    # shapes and indexing
    ("flip", lambda: ops.flip(X23, axis=0), np.flip(X23, 0)),
    ("flip every axis", lambda: ops.flip(X23), np.flip(X23)),
    ("fliplr / flipud", lambda: [ops.fliplr(F23), ops.flipud(F23)], [np.fliplr(F23), np.flipud(F23)]),
    ("repeat flattened", lambda: ops.repeat(X23, 2), np.repeat(X23, 2)),
    ("repeat counts", lambda: ops.repeat(np.arange(3), [1, 0, 2]), np.repeat(np.arange(3), [1, 0, 2])),
    ("repeat along an axis", lambda: ops.repeat(X23, 2, axis=1), np.repeat(X23, 2, axis=1)),
    ("tile", lambda: ops.tile(np.arange(3), (2, 2)), np.tile(np.arange(3), (2, 2))),
    ("tile with fewer repeats", lambda: ops.tile(X23, (2,)), np.tile(X23, (2,))),
    ("take flattened", lambda: ops.take(X23, [0, 4]), np.take(X23, [0, 4])),
    ("take negative", lambda: ops.take(X23, [0, -1], axis=1), np.take(X23, [0, -1], axis=1)),
    ("take 2-D indices", lambda: ops.take(X23, [[0, 1]], axis=0), np.take(X23, [[0, 1]], axis=0)),
    ("take_along_axis", lambda: ops.take_along_axis(X23, np.array([[0], [2]]), axis=1),
     np.take_along_axis(X23, np.array([[0], [2]]), axis=1)),
    ("take_along_axis broadcasts", lambda: ops.take_along_axis(X23, np.array([[0, 1]]), axis=1),
     np.array([[3, 1], [0, 5]])),
    ("take_along_axis flattened", lambda: ops.take_along_axis(X23, np.array([0, 5]), axis=None), np.array([3, 4])),
    ("slice", lambda: ops.slice(X23, (0, 1), (2, 2)), X23[0:2, 1:3]),
    ("slice to the end", lambda: ops.slice(X23, (0, 1), (-1, 2)), X23[0:, 1:3]),
    ("get_item", lambda: ops.get_item(np.arange(4), 2), np.int64(2)),
    ("split at indices (NumPy's rule)", lambda: ops.split(np.arange(6), [1, 4]), np.split(np.arange(6), [1, 4])),
    ("split in equal parts", lambda: ops.split(np.arange(6), 3), np.split(np.arange(6), 3)),
    ("split along axis 1", lambda: ops.split(F23, [1], axis=1), np.split(F23, [1], axis=1)),
    ("array_split", lambda: ops.array_split(np.arange(7), 3), np.array_split(np.arange(7), 3)),
    ("hsplit / vsplit / dsplit", lambda: [ops.hsplit(np.arange(12).reshape(2, 6), 3)[1],
                                          ops.vsplit(np.arange(12).reshape(4, 3), 2)[1],
                                          ops.dsplit(np.arange(12).reshape(1, 2, 6), [1, 4])[2]],
     [np.hsplit(np.arange(12).reshape(2, 6), 3)[1], np.vsplit(np.arange(12).reshape(4, 3), 2)[1],
      np.dsplit(np.arange(12).reshape(1, 2, 6), [1, 4])[2]]),
    ("unstack", lambda: ops.unstack(X23, axis=1), list(X23.T)),
    ("broadcast_to", lambda: ops.broadcast_to(np.arange(2), (3, 2)), np.broadcast_to(np.arange(2), (3, 2))),
    ("moveaxis", lambda: ops.moveaxis(np.zeros((2, 3, 4)), [0, 1], [-1, -2]),
     np.moveaxis(np.zeros((2, 3, 4)), [0, 1], [-1, -2])),
    ("swapaxes", lambda: ops.swapaxes(np.zeros((2, 3, 4)), 0, 2), np.zeros((4, 3, 2))),
    ("expand_dims with a tuple", lambda: ops.expand_dims(np.ones((2, 3)), (0, 3)), np.ones((1, 2, 3, 1))),
    ("ravel", lambda: ops.ravel(X23), X23.ravel()),
    ("hstack", lambda: ops.hstack([np.ones((2, 1)), np.zeros((2, 2))]), np.hstack([np.ones((2, 1)), np.zeros((2, 2))])),
    ("vstack of vectors", lambda: ops.vstack([np.ones(2), np.zeros(2)]), np.vstack([np.ones(2), np.zeros(2)])),
    ("dstack", lambda: ops.dstack([np.ones(3), np.zeros(3)]), np.dstack([np.ones(3), np.zeros(3)])),
    ("append", lambda: ops.append(F23, F23), np.append(F23, F23)),
    ("concatenate promotes", lambda: ops.concatenate([np.array([1], np.int32), np.array([1.5], np.float32)]),
     np.array([1.0, 1.5], np.float32)),
    ("roll flattened", lambda: ops.roll(np.arange(6).reshape(2, 3), 1), np.roll(np.arange(6).reshape(2, 3), 1)),
    ("roll along an axis", lambda: ops.roll(np.arange(6).reshape(2, 3), -1, axis=1),
     np.roll(np.arange(6).reshape(2, 3), -1, axis=1)),
    ("rot90", lambda: [ops.rot90(X23, k) for k in (1, 2, 3)], [np.rot90(X23, k) for k in (1, 2, 3)]),
    ("rot90 on other axes", lambda: ops.rot90(np.arange(24).reshape(2, 3, 4), -1, axes=(1, 2)),
     np.rot90(np.arange(24).reshape(2, 3, 4), -1, axes=(1, 2))),
    ("pad with an int", lambda: ops.pad(F23, 1), np.pad(F23, 1)),
    ("pad constant", lambda: ops.pad(X23, ((0, 1), (2, 0)), constant_values=7),
     np.pad(X23, ((0, 1), (2, 0)), constant_values=7)),
    ("pad reflect", lambda: ops.pad(X23, ((0, 1), (2, 0)), mode="reflect"), np.pad(X23, ((0, 1), (2, 0)), "reflect")),
    ("pad symmetric", lambda: ops.pad(X23, (1, 2), mode="symmetric"), np.pad(X23, (1, 2), "symmetric")),
    ("pad edge", lambda: ops.pad(F23, ((1, 0), (0, 3)), mode="edge"), np.pad(F23, ((1, 0), (0, 3)), "edge")),
    ("pad wrap", lambda: ops.pad(F23, 2, mode="wrap"), np.pad(F23, 2, "wrap")),
    ("diag of a vector", lambda: [ops.diag(np.array([1, 2]), k) for k in (0, 1, -2)],
     [np.diag([1, 2], k) for k in (0, 1, -2)]),
    ("diag of a matrix", lambda: [ops.diag(X23, k) for k in (0, 1, -1, 5)], [np.diag(X23, k) for k in (0, 1, -1, 5)]),
    ("diagflat", lambda: ops.diagflat(np.array([[1, 2], [3, 4]]), k=1), np.diagflat([[1, 2], [3, 4]], 1)),
    ("diagonal", lambda: ops.diagonal(np.arange(24).reshape(2, 3, 4), offset=1, axis1=1, axis2=2),
     np.diagonal(np.arange(24).reshape(2, 3, 4), 1, 1, 2)),
    ("trace", lambda: ops.trace(np.arange(9, dtype=np.int32).reshape(3, 3)), np.int32(12)),
    ("triu", lambda: ops.triu(X23, k=1), np.triu(X23, 1)),
    ("tril of a stack", lambda: ops.tril(np.arange(8).reshape(2, 2, 2)), np.tril(np.arange(8).reshape(2, 2, 2))),
    ("tril below", lambda: ops.tril(F23, k=-1), np.tril(F23, -1)),
    ("diff", lambda: ops.diff(np.array([1, 4, 9, 16]), n=2), np.diff([1, 4, 9, 16], 2)),
    # sorting
    ("sort", lambda: ops.sort(X23), np.sort(X23)),
    ("sort flattened", lambda: ops.sort(X23, axis=None), np.sort(X23, axis=None)),
    ("sort along axis 0", lambda: ops.sort(X23, axis=0), np.sort(X23, axis=0)),
    ("argsort is int32", lambda: ops.argsort(X23), np.argsort(X23).astype(np.int32)),
    ("argsort flattened", lambda: ops.argsort(X23, axis=None), np.argsort(X23, axis=None).astype(np.int32)),
    ("top_k", lambda: tuple(ops.top_k(F23, 2)), (np.array([[3, 2], [5, 4]], np.float32),
                                                  np.array([[0, 2], [1, 2]], np.int32))),
    ("top_k ties keep index order", lambda: ops.top_k(np.array([1, 3, 3, 2]), 2).indices, np.array([1, 2], np.int32)),
    ("in_top_k", lambda: ops.in_top_k(np.array([0, 1]), np.array([[.1, .9], [.1, .9]], np.float32), 1),
     np.array([False, True])),
    # reductions
    ("sum of int8 is int32", lambda: ops.sum(np.array([1, 2], np.int8)), np.int32(3)),
    ("sum of uint8 is uint32", lambda: ops.sum(np.array([1, 2], np.uint8)), np.uint32(3)),
    ("sum of bools is int32", lambda: ops.sum(np.array([True, True])), np.int32(2)),
    ("var of ints", lambda: ops.var(X23), np.float32(X23.var())),
    ("std of ints", lambda: ops.std(X23, axis=1), X23.std(1).astype(np.float32)),
    ("prod", lambda: ops.prod(X23 + 1), np.prod(X23 + 1)),
    ("prod of int8 is int32", lambda: ops.prod(np.array([1, 2], np.int8)), np.int32(2)),
    ("prod of bools", lambda: ops.prod(np.array([True, True])), np.int32(1)),
    ("prod keepdims", lambda: ops.prod(F23 + 1, axis=1, keepdims=True), np.prod(F23 + 1, 1, keepdims=True)),
    ("prod with dtype", lambda: ops.prod(X23, axis=0, dtype="float32"), np.prod(X23, 0).astype(np.float32)),
    ("max with initial", lambda: ops.max(F23, axis=1, initial=4.5), np.max(F23, 1, initial=4.5)),
    ("max of nothing with initial", lambda: ops.max(np.zeros((0,)), initial=3.0), np.float64(3.0)),
    ("min of ints", lambda: ops.min(X23, axis=0), X23.min(0)),
    ("amax / amin", lambda: [ops.amax(X23, 1), ops.amin(X23, 1)], [X23.max(1), X23.min(1)]),
    ("ptp", lambda: ops.ptp(X23, axis=0), np.ptp(X23, 0)),
    ("any", lambda: ops.any(X23, axis=1), X23.any(1)),
    ("all keepdims", lambda: ops.all(X23, keepdims=True), X23.all(keepdims=True)),
    ("count_nonzero is int32", lambda: ops.count_nonzero(X23, axis=0), np.count_nonzero(X23, 0).astype(np.int32)),
    ("cumsum flattened", lambda: ops.cumsum(X23), np.cumsum(X23)),
    ("cumsum of bools is int32", lambda: ops.cumsum(np.array([True, True])), np.array([1, 2], np.int32)),
    ("cumsum of int8 stays int8", lambda: ops.cumsum(np.array([1, 2], np.int8)), np.array([1, 3], np.int8)),
    ("cumsum with dtype", lambda: ops.cumsum(X23, axis=1, dtype="float32"), np.cumsum(X23, 1).astype(np.float32)),
    ("cumprod", lambda: ops.cumprod(F23 + 1, axis=0), np.cumprod(F23 + 1, 0)),
    ("logsumexp", lambda: ops.logsumexp(F23, axis=1), np.log(np.exp(F23).sum(1))),
    ("logsumexp of -inf", lambda: ops.logsumexp(np.array([-np.inf, -np.inf], np.float32)), np.float32(-np.inf)),
    ("logsumexp keepdims", lambda: ops.logsumexp(np.ones((2, 3), np.float32), axis=(0, 1), keepdims=True),
     np.full((1, 1), 1 + np.log(6), np.float32)),
    ("average", lambda: ops.average(np.array([[1., 2.], [3., 4.]]), axis=1, weights=np.array([1., 3.])),
     np.average([[1., 2.], [3., 4.]], axis=1, weights=[1., 3.])),
    ("average of ints", lambda: ops.average(np.array([1, 2])), np.float32(1.5)),
    ("moments", lambda: ops.moments(F23, axes=[1]), (F23.mean(1), F23.var(1))),
    ("moments keepdims", lambda: ops.moments(F23, axes=[0], keepdims=True),
     (F23.mean(0, keepdims=True), F23.var(0, keepdims=True))),
    # norms
    ("norm of a matrix", lambda: ops.norm(F23), np.float32(np.linalg.norm(F23))),
    ("norm of ints is float32", lambda: ops.norm(X23), np.float32(np.linalg.norm(X23))),
    ("vector norms", lambda: [ops.norm(F23, ord=p, axis=1) for p in (1, 2, np.inf, -np.inf, 0, 3)],
     [np.linalg.norm(F23, p, axis=1).astype(np.float32) for p in (1, 2, np.inf, -np.inf, 0, 3)]),
    ("matrix norms", lambda: [ops.norm(F23, ord=p) for p in ("fro", 1, -1, np.inf, -np.inf, 2, -2, "nuc")],
     [np.float32(np.linalg.norm(F23, p)) for p in ("fro", 1, -1, np.inf, -np.inf, 2, -2, "nuc")]),
    ("matrix norm keepdims", lambda: ops.norm(F23, ord=1, keepdims=True), np.linalg.norm(F23, 1, keepdims=True)),
    ("norm over two of three axes", lambda: ops.norm(np.ones((2, 2, 2), np.float32), axis=(0, 2)),
     np.full(2, 2, np.float32)),
    ("normalize", lambda: ops.normalize(F23), F23 / np.linalg.norm(F23, axis=-1, keepdims=True)),
    ("normalize order 1", lambda: ops.normalize(X23, axis=0, order=1),
     (X23 / np.abs(X23).sum(0, keepdims=True)).astype(np.float32)),
    ("normalize a zero row", lambda: ops.normalize(np.zeros((1, 2), np.float32)), np.zeros((1, 2), np.float32)),
    # element-wise
    ("sqrt of ints is float32", lambda: ops.sqrt(np.array([4, 9])), np.array([2, 3], np.float32)),
    ("sqrt of float16 stays float16", lambda: ops.sqrt(np.array([4], np.float16)), np.array([2], np.float16)),
    ("floor of ints is float32", lambda: ops.floor(np.array([4, 9])), np.array([4, 9], np.float32)),
    ("ceil", lambda: ops.ceil(np.array([4.2, -9.5])), np.ceil([4.2, -9.5])),
    ("trunc", lambda: [ops.trunc(np.array([-1.5, 1.5], np.float32)), ops.trunc(np.array([1, 2]))],
     [np.trunc(np.array([-1.5, 1.5], np.float32)), np.array([1, 2])]),
    ("round half to even", lambda: ops.round(np.array([0.5, 1.5, 2.5, -0.5], np.float32)),
     np.round(np.array([0.5, 1.5, 2.5, -0.5], np.float32))),
    ("round to decimals", lambda: ops.round(np.array([1.25, 1.35], np.float32), 1),
     np.round(np.array([1.25, 1.35], np.float32), 1)),
    ("round ints to tens", lambda: ops.round(np.array([125, 2]), -1), np.array([120, 0])),
    ("abs / absolute / fabs", lambda: [ops.abs(np.array([-4, 9])), ops.absolute(np.array([-1.5])),
                                       ops.fabs(np.array([-1, 2]))],
     [np.array([4, 9]), np.array([1.5]), np.array([1, 2], np.float32)]),
    ("sign", lambda: ops.sign(np.array([-4, 0, 9])), np.array([-1, 0, 1])),
    ("square of bools is int32", lambda: ops.square(np.array([True])), np.array([1], np.int32)),
    ("mod", lambda: [ops.mod(np.array([5, -5]), 3), ops.mod(np.array([5., -5.]), 3)],
     [np.mod([5, -5], 3), np.mod([5., -5.], 3)]),
    ("floor_divide", lambda: [ops.floor_divide(np.array([5, -5]), 3), ops.floor_divide(np.array([5., -5.]), 2.5)],
     [np.floor_divide([5, -5], 3), np.floor_divide([5., -5.], 2.5)]),
    ("power", lambda: [ops.power(np.array([2, 3]), 2), ops.power(np.array([2, 3]), 0.5)],
     [np.array([4, 9]), np.sqrt(np.array([2, 3], np.float32))]),
    ("divide of ints is float32", lambda: ops.divide(np.array([1, 2], np.int32), 2), np.array([.5, 1.], np.float32)),
    ("divide_no_nan", lambda: ops.divide_no_nan(np.array([1., 2.]), np.array([0., 2.])), np.array([0., 1.])),
    ("minimum promotes", lambda: ops.minimum(np.array([1, 5]), 2.5), np.array([1, 2.5], np.float32)),
    ("maximum of int32 and int64", lambda: ops.maximum(np.array([1, 5], np.int32), np.array([2, 3])),
     np.array([2, 5])),
    ("fmax / fmin skip NaN", lambda: [ops.fmax(np.array([1., np.nan, np.nan]), np.array([2., 1., np.nan])),
                                      ops.fmin(np.array([1., np.nan, np.nan]), np.array([2., 1., np.nan]))],
     [np.fmax([1., np.nan, np.nan], [2., 1., np.nan]), np.fmin([1., np.nan, np.nan], [2., 1., np.nan])]),
    ("clip keeps x's dtype", lambda: ops.clip(np.array([1, 5], np.int32), 0, 2), np.array([1, 2], np.int32)),
    ("clip of bools is int32", lambda: ops.clip(np.array([True, False]), 0, 1), np.array([1, 0], np.int32)),
    ("exp2 / expm1 / log2 / log10", lambda: [ops.exp2(np.array([3])), ops.expm1(np.array([1])),
                                             ops.log2(np.array([8])), ops.log10(np.array([100.], np.float32))],
     [np.float32([8]), np.float32([np.expm1(1)]), np.float32([3]), np.float32([2])]),
    ("reciprocal / rsqrt", lambda: [ops.reciprocal(np.array([2.0])), ops.rsqrt(np.array([4.], np.float32))],
     [np.array([0.5]), np.float32([0.5])]),
    ("logaddexp", lambda: ops.logaddexp(np.array([1., -1000.]), np.array([1000., -1000.])),
     np.logaddexp([1., -1000.], [1000., -1000.])),
    ("nan_to_num", lambda: ops.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)),
     np.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.0], np.float32))),
    # comparisons and logic
    ("equal compares in the promoted dtype", lambda: ops.equal(np.array([1, 2], np.int32), np.array([1.5, 2.])),
     np.array([False, True])),
    ("comparisons", lambda: [ops.not_equal(X23, 1), ops.greater(X23, 2.5), ops.greater_equal(X23, 3),
                             ops.less(X23, 1), ops.less_equal(X23, 0)],
     [X23 != 1, X23 > 2.5, X23 >= 3, X23 < 1, X23 <= 0]),
    ("logical functions", lambda: [ops.logical_and([1, 0], [1., 1.]), ops.logical_or([1, 0], [0, 0]),
                                   ops.logical_xor([1, 0], [1, 1]), ops.logical_not(np.array([1.0, 0]))],
     [np.array([True, False]), np.array([True, False]), np.array([False, True]), np.array([False, True])]),
    ("isnan / isinf / isfinite", lambda: [ops.isnan(np.array([np.nan, 1.0])), ops.isinf(np.array([np.inf, 1.0])),
                                          ops.isfinite(np.array([np.inf, 1.0, np.nan], np.float32)),
                                          ops.isnan(X23), ops.isfinite(X23)],
     [np.array([True, False]), np.array([True, False]), np.array([False, True, False]),
      np.zeros((2, 3), bool), np.ones((2, 3), bool)]),
    ("isposinf / isneginf", lambda: [ops.isposinf(np.array([np.inf, -np.inf])), ops.isneginf(np.array([np.inf, -np.inf]))],
     [np.array([True, False]), np.array([False, True])]),
    ("isclose / allclose", lambda: [ops.isclose(np.array([1.0, 2.0]), np.array([1.0, 2.1])),
                                    ops.allclose(np.array([1.0, 2.0]), np.array([1.0, 2.1]))],
     [np.array([True, False]), np.bool_(False)]),
    ("nonzero", lambda: ops.nonzero(X23), tuple(i.astype(np.int32) for i in np.nonzero(X23))),
    ("select", lambda: ops.select([np.array([True, False]), np.array([True, True])], [np.array([1, 2]),
                                                                                      np.array([3, 4])], 0),
     np.select([[True, False], [True, True]], [[1, 2], [3, 4]], 0)),
    # products
    ("matmul of vectors", lambda: ops.matmul(np.array([1., 2.]), np.array([1., 2.])), np.float64(5)),
    ("matmul vector by stack", lambda: ops.matmul(np.array([1., 2.]), np.ones((3, 2, 4))),
     np.matmul([1., 2.], np.ones((3, 2, 4)))),
    ("matmul of int32", lambda: ops.matmul(np.array([[1, 2]], np.int32), np.array([[1], [2]], np.int32)),
     np.array([[5]], np.int32)),
    ("dot of N-D tensors", lambda: ops.dot(A34.reshape(2, 3, 2), A34.reshape(3, 2, 2)),
     np.dot(A34.reshape(2, 3, 2), A34.reshape(3, 2, 2))),
    ("tensordot", lambda: [ops.tensordot(np.ones((2, 3, 4)), np.ones((3, 4, 5))), ops.tensordot(A34, B45, ([1], [0]))],
     [np.tensordot(np.ones((2, 3, 4)), np.ones((3, 4, 5))), np.tensordot(A34, B45, ([1], [0]))]),
    ("inner / vdot / outer", lambda: [ops.inner(A34, A34), ops.vdot(A34, A34), ops.outer(np.array([1, 2]), A34)],
     [np.inner(A34, A34), np.vdot(A34, A34), np.outer([1, 2], A34)]),
    ("einsum", lambda: [ops.einsum("ij,jk->ik", A34, B45), ops.einsum("ij,jk", A34, B45), ops.einsum("ij->ji", A34),
                        ops.einsum("bi,ij,bj->b", A34, np.eye(4), A34), ops.einsum("ij,k->i", A34, V5)],
     [A34 @ B45, A34 @ B45, A34.T, (A34 * A34).sum(1), A34.sum(1) * V5.sum()]),
    ("einsum with '...'", lambda: [ops.einsum("...ij,...jk->...ik", np.ones((5, 2, 3)), np.ones((3, 4))),
                                   ops.einsum("i...j,j->i...", np.ones((2, 3, 4)), np.arange(4.))],
     [np.einsum("...ij,...jk->...ik", np.ones((5, 2, 3)), np.ones((3, 4))),
      np.einsum("i...j,j->i...", np.ones((2, 3, 4)), np.arange(4.))]),
    ("einsum of int8 sums in int32", lambda: ops.einsum("i,i->", np.array([1, 2], np.int8), np.array([3, 4], np.int8)),
     np.int32(11)),
    # neural-network functions
    ("relu6 keeps integers", lambda: ops.relu6(np.array([-1, 7, 3])), np.array([0, 6, 3])),
    ("leaky_relu default slope 0.2", lambda: ops.leaky_relu(np.array([-1.0, 2.0], np.float32)),
     np.array([-0.2, 2.0], np.float32)),
    ("leaky_relu of ints is float32", lambda: ops.leaky_relu(np.array([-1, 2]), negative_slope=0.5),
     np.array([-0.5, 2.0], np.float32)),
    ("softplus / silu / swish", lambda: [ops.softplus(F23), ops.silu(F23), ops.swish(F23)],
     [np.log1p(np.exp(F23)), F23 / (1 + np.exp(-F23)), F23 / (1 + np.exp(-F23))]),
    ("log_softmax", lambda: ops.log_softmax(F23, axis=0), F23 - np.log(np.exp(F23).sum(0, keepdims=True))),
    ("softmax over every axis", lambda: ops.softmax(F23, axis=None), np.exp(F23) / np.exp(F23).sum()),
    ("hard_sigmoid is Keras 3's relu6(x + 3) / 6", lambda: ops.hard_sigmoid(np.array([-4., 0., 1., 4.])),
     np.array([0., .5, 4 / 6, 1.])),
    ("hard_silu", lambda: ops.hard_silu(np.array([-2.0, 0.5])), np.array([-2 / 6, 0.5 * 3.5 / 6])),
    ("log_sigmoid", lambda: ops.log_sigmoid(np.array([1.0])), np.log(1 / (1 + np.exp([-1.0])))),
    ("celu / glu / hard_tanh / squareplus", lambda: [ops.celu(np.array([-1.0, 1.0])), ops.glu(np.array([[1.0, 2.0]])),
                                                     ops.hard_tanh(np.array([-2.0, 0.5])),
                                                     ops.squareplus(np.array([-1.0, 0.0, 2.0]))],
     [np.array([np.expm1(-1.0), 1.0]), np.array([[1 / (1 + np.exp(-2.0))]]), np.array([-1.0, 0.5]),
      (np.array([-1.0, 0.0, 2.0]) + np.sqrt(np.array([1.0, 0.0, 4.0]) + 4)) / 2]),
    ("gelu, tanh form", lambda: ops.gelu(np.array([1.0, -0.5])),
     0.5 * np.array([1.0, -0.5]) * (1 + np.tanh(np.sqrt(2 / np.pi) * (np.array([1.0, -0.5]) +
                                                                      0.044715 * np.array([1.0, -0.5]) ** 3)))),
    ("gelu, exact", lambda: ops.gelu(np.array([1.0, -0.5, 3.0]), approximate=False),
     np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in (1.0, -0.5, 3.0)])),
    ("one_hot by Keras's names", lambda: ops.one_hot(np.array([0, 2]), num_classes=3, axis=0),
     np.eye(3, dtype=np.float32)[[0, 2]].T),
    ("multi_hot", lambda: ops.multi_hot(np.array([[0, 2], [1, 1]]), 3), np.array([[1, 0, 1], [0, 1, 0]], np.float32)),
    ("size is int32, ndim an int", lambda: [ops.size(X23), ops.ndim(X23)], [np.int32(6), 2]),
]


@pytest.mark.parametrize("label, call, expected", VALUE_CASES, ids=[case[0] for case in VALUE_CASES])
def test_values_and_dtypes_follow_numpy_and_keras(label, call, expected):
    check(call(), expected)


def test_erf_and_erfc_are_exact_to_a_few_units_in_the_last_place():
    points = np.concatenate([np.linspace(-30, 30, 24001), np.geomspace(1e-300, 30, 4000),
                             -np.geomspace(1e-300, 30, 4000), [0.0, -0.0, 1.0, -1.0, 8.0, -8.0]])
    erf, erfc = _np(ops.erf(points)), _np(ops.erfc(points))
    expected_erf = np.array([math.erf(v) for v in points])
    expected_erfc = np.array([math.erfc(v) for v in points])
    normal = np.abs(expected_erfc) > 1e-300  # erfc's subnormal tail has no digits to compare
    # erfc below 1 is 1 - erf, as in Cephes: near 1 it loses three bits to the subtraction
    for got, want, most in ((erf, expected_erf, 4), (erfc[normal], expected_erfc[normal], 16)):
        ulps = np.abs(got - want) / np.spacing(np.abs(want))
        assert ulps.max() <= most, ulps.max()
    assert np.all(erfc[~normal] < 1e-290)
    check(ops.erf(np.array([np.inf, -np.inf, np.nan])), np.array([1.0, -1.0, np.nan]))
    check(ops.erfc(np.array([np.inf, -np.inf])), np.array([0.0, 2.0]))
    grid = np.linspace(-6, 6, 20001).astype(np.float32)  # float32: rounded from the double
    check(ops.erf(grid), np.array([math.erf(v) for v in grid.astype(np.float64)]).astype(np.float32), rtol=0)
    check(ops.erf(np.array([1, 2])), np.array([math.erf(1), math.erf(2)], np.float32))  # integers: float32


def test_keras_3_result_dtypes():
    pairs = {("int64", "float32"): "float32", ("float32", "float64"): "float64", ("int32", "int64"): "int64",
             ("uint8", "int8"): "int16", ("uint16", "int8"): "int32", ("uint32", "int32"): "int64",
             ("uint64", "int8"): "float32", ("uint64", "uint8"): "uint32", ("bool", "int8"): "int8",
             ("int64", "float16"): "float16", ("bool", "bool"): "bool"}
    for (a, b), expected in pairs.items():
        assert _result_dtype(np.zeros(1, a), np.zeros(1, b)) == np.dtype(expected), (a, b)
    weak = {("int32", 1.5): "float32", ("float16", 2.0): "float16", ("bool", 1): "int32", ("uint8", 1): "uint8",
            ("uint64", 1): "uint32", ("float64", 1): "float64"}
    for (a, number), expected in weak.items():
        assert _result_dtype(np.zeros(1, a), number) == np.dtype(expected), (a, number)
    assert _result_dtype(1, 2) == np.int32 and _result_dtype(1, 2.0) == np.float32 and _result_dtype(True) == np.dtype(bool)
    assert _result_dtype([1, 2], 1.5) == np.float32  # a list is int32, then the weak float
    check(ops.add(np.array([1.], np.float32), np.array([1.])), np.array([2.0]))  # float64 wins
    check(ops.subtract(np.array([1], np.uint8), np.array([1], np.int8)), np.array([0], np.int16))


# -- gradients ----------------------------------------------------------------------------------------

ZEROS = np.array([[1.5, 0.0], [0.0, 2.0], [3.0, -1.0], [0.5, 2.0]])
GRADIENT_CASES = {
    "norm": (lambda x: ops.norm(x), A34),
    "norm ord 1": (lambda x: ops.norm(x, ord=1, axis=1), A34),
    "norm ord 3": (lambda x: ops.norm(x, ord=3, axis=0), A34),
    "norm inf of a matrix": (lambda x: ops.norm(x, ord=np.inf), A34),
    "pad reflect": (lambda x: ops.pad(x, ((1, 2), (2, 1)), mode="reflect"), A34),
    "pad symmetric": (lambda x: ops.pad(x, 1, mode="symmetric"), A34),
    "pad wrap": (lambda x: ops.pad(x, 2, mode="wrap"), A34),
    "pad edge": (lambda x: ops.pad(x, (1, 3), mode="edge"), A34),
    "pad constant": (lambda x: ops.pad(x, 1, constant_values=2.0), A34),
    "flip": (lambda x: ops.flip(x, 1), A34),
    "repeat": (lambda x: ops.repeat(x, [1, 0, 3], axis=0), A34),
    "tile": (lambda x: ops.tile(x, (2, 1, 2)), A34),
    "take": (lambda x: ops.take(x, [[0, 5], [5, -1]]), A34),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.array([[0, 0, 1, 3]]), axis=1), A34),
    "cumsum": (lambda x: ops.cumsum(x, axis=1), A34),
    "cumsum flattened": (lambda x: ops.cumsum(x), A34),
    "cumprod": (lambda x: ops.cumprod(x, axis=1), A34),
    "cumprod through zeros": (lambda x: ops.cumprod(x, axis=0), ZEROS),
    "prod": (lambda x: ops.prod(x, axis=1), A34),
    "prod of everything": (lambda x: ops.prod(x), A34[:2]),
    "prod through zeros": (lambda x: ops.prod(x, axis=0, keepdims=True), ZEROS),
    "sort": (lambda x: ops.sort(x, axis=0), A34),
    "top_k": (lambda x: ops.top_k(x, 2).values, A34),
    "max with initial": (lambda x: ops.max(x, axis=1, initial=0.3), A34),
    "min": (lambda x: ops.min(x, axis=0), A34),
    "slice": (lambda x: ops.slice(x, (1, 0), (2, -1)), A34),
    "diag of a vector": (lambda x: ops.diag(x, k=-2), V5),
    "diag of a matrix": (lambda x: ops.diag(x, k=1), A34),
    "triu": (lambda x: ops.triu(x, -1), A34),
    "tril": (lambda x: ops.tril(x, 1), A34),
    "outer": (lambda x, y: ops.outer(x, y), V5, A34),
    "erf": (lambda x: ops.erf(x * 2), A34),
    "erfc": (lambda x: ops.erfc(x * 2), A34),
    "gelu": (lambda x: ops.gelu(x), A34),
    "gelu exact": (lambda x: ops.gelu(x, approximate=False), A34),
    "leaky_relu": (lambda x: ops.leaky_relu(x, 0.1), A34),
    "moments": (lambda x: ops.moments(x, [0]), A34),
    "normalize": (lambda x: ops.normalize(x), A34),
    "normalize order 1": (lambda x: ops.normalize(x, order=1, axis=0), A34),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=1), A34),
    "log_softmax": (lambda x: ops.log_softmax(x, 0), A34),
    "softplus / silu / relu6": (lambda x: ops.softplus(x) + ops.silu(x) + ops.relu6(x * 5), A34),
    "square / sqrt / abs": (lambda x: ops.square(x) + ops.sqrt(ops.abs(x) + 1), A34),
    "mod": (lambda x, y: ops.mod(x, y), A34 * 3, np.abs(A34) + 0.5),
    "power": (lambda x, y: ops.power(ops.abs(x) + 0.5, y), A34, A34),
    "minimum / maximum": (lambda x, y: ops.maximum(ops.minimum(x, 0.2), y), A34, A34 * 0.7 + 0.05),
    "where": (lambda x, y: ops.where(x > 0, x, y), A34, A34 * 3),
    "einsum": (lambda x, y: ops.einsum("ij,jk->ik", x, y), A34, B45),
    "einsum with '...'": (lambda x, y: ops.einsum("...ij,...j->...i", x, y), RNG.normal(size=(2, 3, 4)), V5[:4].copy()),
    "einsum summing a label away": (lambda x, y: ops.einsum("ij,k->i", x, y), A34, V5),
    "einsum broadcasting a size-1 label": (lambda x, y: ops.einsum("bij,bjk->bik", x, y),
                                           RNG.normal(size=(2, 3, 4)), RNG.normal(size=(1, 4, 2))),
    "split": (lambda x: tuple(ops.split(x, [1, 3], axis=1)), A34),
    "unstack": (lambda x: tuple(ops.unstack(x, axis=1)), A34),
    "broadcast_to": (lambda x: ops.broadcast_to(x, (2, 5)), V5),
    "meshgrid": (lambda x, y: tuple(ops.meshgrid(x, y)), V5, A34[0].copy()),
    "matmul of a vector": (lambda x, y: ops.matmul(x, y), V5[:4].copy(), B45),
    "tensordot": (lambda x, y: ops.tensordot(x, y, 1), A34, B45),
    "dot of N-D tensors": (lambda x, y: ops.dot(x, y), RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3, 4))),
    "logaddexp": (lambda x, y: ops.logaddexp(x, y), A34, A34 * 2),
    "diagonal / trace": (lambda x: ops.diagonal(x, 1) + ops.trace(x), A34),
    "roll / diff": (lambda x: ops.roll(x, 2, axis=1)[:, 1:] + ops.diff(x), A34),
    "average": (lambda x: ops.average(x, 1, np.arange(1., 5.)), A34),
    "std / var / mean": (lambda x: ops.std(x, 0) + ops.var(x) + ops.mean(x, (0, 1)), A34),
    "clip": (lambda x: ops.clip(x, -0.5, 0.5), A34),
    "celu / glu / hard_silu / log_sigmoid": (lambda x: ops.celu(x) + ops.hard_silu(x * 3) + ops.log_sigmoid(x)
                                             + ops.tile(ops.glu(x), (1, 2)), A34),
    "divide_no_nan / nan_to_num": (lambda x, y: ops.divide_no_nan(x, y) + ops.nan_to_num(x), A34, A34 * 2),
    "expm1 / log2 / exp2": (lambda x: ops.expm1(x) + ops.log2(ops.abs(x)) + ops.exp2(x), A34),
    "vstack / moveaxis / rot90": (lambda x: ops.vstack([x, x * 2]) + ops.moveaxis(ops.rot90(ops.vstack([x, x])), 0, 1),
                                  V5),
    "fmax / squareplus": (lambda x, y: ops.fmax(x, y) + ops.squareplus(x), A34, A34 * 0.7 + 0.05),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(name):
    fn, *inputs = GRADIENT_CASES[name]
    minidl.gradcheck(fn, *inputs, tolerance=1e-5)


def test_gradients_through_a_tape_and_integer_inputs_without_one():
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        loss = ops.sum(ops.cumsum(x, axis=1) * ops.prod(x, axis=0))
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [[23.0, 48.0], [15.0, 28.0]])
    assert ops.stop_gradient(x).requires_grad is False
    assert ops.floor(x).requires_grad is False and ops.argsort(x).requires_grad is False


# -- errors that name the argument ---------------------------------------------------------------------

ERROR_CASES = [
    (lambda: ops.pad(F23, 1, mode="maximum"), ValueError, "mode must be one of"),
    (lambda: ops.pad(F23, 1, mode="reflect", constant_values=1), ValueError, "constant_values can only"),
    (lambda: ops.pad(F23, ((1, 2, 3),)), ValueError, "pad_width"),
    (lambda: ops.pad(F23, -1), ValueError, "pad_width must be non-negative"),
    (lambda: ops.normalize(F23, order=0), ValueError, "order must be an int >= 1"),
    (lambda: ops.norm(F23, ord="bad"), ValueError, "ord='bad' is not a matrix norm"),
    (lambda: ops.norm(F23, ord="fro", axis=0), ValueError, "ord='fro' is a matrix norm"),
    (lambda: ops.norm(np.ones((2, 2, 2))), ValueError, "axis must name one axis"),
    (lambda: ops.top_k(F23, 4), ValueError, "k must be an integer in"),
    (lambda: ops.unstack(X23, num=2, axis=1), ValueError, "num=2"),
    (lambda: ops.split(np.arange(5), 2), ValueError, "indices_or_sections=2"),
    (lambda: ops.repeat(np.arange(3), [1, 2]), ValueError, "repeats must be"),
    (lambda: ops.linspace(0, 1, -1), ValueError, "num must be"),
    (lambda: ops.eye(2.5), ValueError, "N must be an integer"),
    (lambda: ops.take_along_axis(X23, np.array([0, 1]), axis=1), ValueError, "indices must have x's rank"),
    (lambda: ops.take(X23, [7], axis=1), IndexError, "out of range"),
    (lambda: ops.slice(X23, (0,), (1, 1)), ValueError, "start_indices and shape"),
    (lambda: ops.slice(X23, (1, 0), (2, 1)), ValueError, "does not fit"),
    (lambda: ops.where(X23, 1), ValueError, "x1 and x2 must both be given"),
    (lambda: ops.max(np.zeros((0,))), ValueError, "give initial="),
    (lambda: ops.max(np.array([1, 2]), initial=2.5), TypeError, "2.5"),
    (lambda: ops.clip(np.array([1, 5]), 0.5, 2.5), TypeError, "0.5"),
    (lambda: ops.power(np.array([2], np.int32), -1), ValueError, "negative integer powers"),
    (lambda: ops.diag(np.ones((2, 2, 2))), ValueError, "x must be a vector or a matrix"),
    (lambda: ops.sum(X23, axis=2), ValueError, "axis 2 is out of range"),
    (lambda: ops.meshgrid(np.arange(2), indexing="xyz"), ValueError, "indexing must be"),
    (lambda: ops.einsum("ii->i", np.eye(2)), UnsupportedError, "repeats a label"),
    (lambda: ops.einsum("ij,jk->ik", np.eye(2)), ValueError, "name 2 operands"),
    (lambda: ops.einsum("...i->i", np.ones((2, 3))), UnsupportedError, "sums over the '...' axes"),
    (lambda: ops.norm(keras.Variable(F23), ord="nuc"), UnsupportedError, "cannot differentiate"),
    (lambda: ops.nonzero(np.float32(1)), ValueError, "x is a scalar"),
    (lambda: ops.one_hot([1], 3, sparse=True), UnsupportedError, "sparse=True"),
]


@pytest.mark.parametrize("call, error, words", ERROR_CASES, ids=[case[2] for case in ERROR_CASES])
def test_errors_name_the_argument(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()


# -- symbolic tensors and the simulated device -----------------------------------------------------------


def test_new_ops_on_symbolic_tensors_become_layers_of_a_model():
    minidl.layers.clear_session()
    inputs = keras.Input(shape=(4,))
    features = ops.concatenate([ops.cumsum(inputs, axis=1), ops.top_k(inputs, 2)[0],
                                ops.expand_dims(ops.norm(inputs, axis=1), -1), ops.erf(inputs)], axis=-1)
    model = keras.Model(inputs, features)
    assert {"cumsum", "norm", "erf", "concatenate"} <= {layer.name for layer in model.layers}
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    expected = np.concatenate([np.cumsum(x, 1), -np.sort(-x, 1)[:, :2], np.linalg.norm(x, axis=1, keepdims=True),
                               np.vectorize(math.erf)(x)], axis=1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_on_the_simulated_device(any_backend):
    x = keras.ops.convert_to_tensor(A34.astype(np.float32))
    results = [ops.norm(x, ord=1, axis=1), ops.pad(x, 1, mode="reflect"), ops.cumsum(x, 0), ops.sort(x, 1),
               ops.top_k(x, 2).values, ops.erf(x), ops.gelu(x, approximate=False), ops.logsumexp(x, 0),
               ops.triu(x), ops.diag(x), ops.einsum("ij,kj->ik", x, x), ops.take_along_axis(x, np.array([[1]]), 1),
               ops.repeat(x, 2, 0), ops.prod(x, 1), ops.where(ops.greater(x, 0))[0], ops.argmax(x, 1),
               keras.random.normal((2,), seed=1), keras.random.dropout(x, 0.5, seed=1)]
    on_host = [np.asarray(minidl.backend.to_numpy(r.data)) for r in results]
    assert all(np.all(np.isfinite(values.astype(np.float64))) for values in on_host)
    np.testing.assert_allclose(on_host[0], np.abs(A34).sum(1), rtol=1e-6)
    np.testing.assert_allclose(on_host[10], A34 @ A34.T, rtol=1e-5, atol=1e-6)


# -- names minidl does not have ---------------------------------------------------------------------

PAGE = (REPO_ROOT / "docs" / "keras_coverage.md").read_text()


def test_every_op_the_page_lists_as_missing_raises_with_the_page_advice():
    rows = re.findall(r"^\| ops \| (.*?) \| (.*) \|$", PAGE, re.M)
    assert rows
    listed = {}
    for names, advice in rows:
        for name in re.findall(r"`(\w+)`", names):
            listed[name] = advice
            with pytest.raises(UnsupportedError) as caught:
                getattr(ops, name)
            assert str(caught.value).startswith(f"keras.ops.{name} is not supported by minidl; instead: ")
            assert advice.replace("`", "") in str(caught.value)
    assert listed == unsupported.NEAREST["minidl.keras.ops"]
    assert not hasattr(ops, "sin") and not hasattr(ops, "no_such_op")
    with pytest.raises(AttributeError) as caught:
        ops.no_such_op  # noqa: B018
    assert not isinstance(caught.value, UnsupportedError)


def test_the_page_no_longer_calls_present_ops_missing():
    for name in ("einsum", "logsumexp", "erf", "norm", "cumsum", "top_k"):
        assert name in vars(ops) and name not in unsupported.NEAREST["minidl.keras.ops"]


# -- keras.random ---------------------------------------------------------------------------------

# Printed by Keras 3.15.1 on TensorFlow 2.21 (x86-64) for the same calls.
KERAS_3_15 = {
    "normal((4,), seed=3)": [-0.6715848, 1.6760504, -0.94424546, 0.60793895],
    "uniform((4,), seed=3)": [0.19591284, 0.93934524, 0.5322752, 0.8410413],
    "uniform((3,), seed=SeedGenerator(7)) twice": [[0.7470788, 0.6721802, 0.05777955],
                                                   [0.04012072, 0.54234695, 0.4399823]],
    "randint((5,), 0, 100, seed=1)": [89, 34, 80, 16, 71],
    "truncated_normal((4,), seed=9)": [-0.5550821, -0.49703377, -0.7479323, -0.14649856],
    "shuffle(arange(6), seed=4)": [2, 5, 4, 0, 3, 1],
    "dropout(ones(6), 0.5, seed=2)": [2., 2., 2., 2., 0., 2.],
    "set_random_seed(5); uniform((2,)) twice": [[0.7411314, 0.71066844], [0.30555117, 0.44224882]],
}


def test_an_integer_seed_gives_the_same_numbers_every_call():
    first, second = keras.random.uniform((3,), seed=3), keras.random.uniform((3,), seed=3)
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    np.testing.assert_allclose(keras.random.normal((4,), seed=3).numpy(), KERAS_3_15["normal((4,), seed=3)"], rtol=1e-6)
    np.testing.assert_array_equal(keras.random.uniform((4,), seed=3).numpy(),
                                  np.float32(KERAS_3_15["uniform((4,), seed=3)"]))
    check(keras.random.randint((5,), 0, 100, seed=1), np.int32(KERAS_3_15["randint((5,), 0, 100, seed=1)"]))
    np.testing.assert_allclose(keras.random.truncated_normal((4,), seed=9).numpy(),
                               KERAS_3_15["truncated_normal((4,), seed=9)"], rtol=1e-6)
    check(keras.random.shuffle(np.arange(6), seed=4), np.array(KERAS_3_15["shuffle(arange(6), seed=4)"]))
    check(keras.random.dropout(np.ones(6, np.float32), 0.5, seed=2),
          np.float32(KERAS_3_15["dropout(ones(6), 0.5, seed=2)"]))


def test_seed_generators_advance_and_two_with_one_seed_agree():
    def draws(generator):
        return np.stack([keras.random.uniform((3,), seed=generator).numpy() for _ in range(2)])

    first, second = draws(keras.random.SeedGenerator(7)), draws(keras.random.SeedGenerator(7))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, np.float32(KERAS_3_15["uniform((3,), seed=SeedGenerator(7)) twice"]))
    assert not np.array_equal(first[0], first[1])
    generator = keras.random.SeedGenerator(3)
    np.testing.assert_array_equal(generator.next().numpy(), [3, 0])
    np.testing.assert_array_equal(generator.state.numpy(), [3, 1])
    assert generator.state.trainable is False and generator.state.dtype == np.int64
    assert keras.random.SeedGenerator.from_config(generator.get_config()).state.numpy().tolist() == [3, 0]


def test_without_a_seed_the_global_generator_follows_set_random_seed():
    keras.utils.set_random_seed(5)
    first = np.stack([keras.random.uniform((2,)).numpy() for _ in range(2)])
    keras.utils.set_random_seed(5)
    again = np.stack([keras.random.uniform((2,)).numpy() for _ in range(2)])
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, np.float32(KERAS_3_15["set_random_seed(5); uniform((2,)) twice"]))
    assert not np.array_equal(first[0], first[1])


def test_tf_random_keeps_tensorflows_stateful_rule():
    tf.random.set_seed(1)
    first, second = tf.random.uniform((3,), seed=3), tf.random.uniform((3,), seed=3)
    assert not np.array_equal(first.numpy(), second.numpy())


def test_random_dtypes_shapes_and_errors():
    doubles = keras.random.normal((2, 3), dtype="float64", seed=1)
    assert doubles.dtype == np.float64 and doubles.shape == (2, 3)
    np.testing.assert_array_equal(doubles.numpy(), keras.random.normal((2, 3), dtype="float64", seed=1).numpy())
    assert keras.random.normal((2,), seed=1).dtype == np.float32 and keras.random.randint((2,), 0, 3).dtype == np.int32
    assert keras.random.uniform((2,), minval=-2, maxval=-1, seed=4).numpy().max() < -1
    for draw in (keras.random.gamma((3,), 2.0, seed=1), keras.random.beta((3,), 2.0, 3.0, seed=1),
                 keras.random.binomial((3,), 5, 0.5, seed=1)):
        assert draw.dtype == np.float32 and draw.shape == (3,)
    np.testing.assert_array_equal(keras.random.gamma((3,), 2.0, seed=1).numpy(), keras.random.gamma((3,), 2.0, seed=1).numpy())
    samples = keras.random.categorical(np.log([[0.1, 0.9], [1.0, 1e-9]]), 2000, seed=3)
    assert samples.dtype == np.int32 and samples.shape == (2, 2000)
    assert 0.85 < samples.numpy()[0].mean() < 0.95 and samples.numpy()[1].max() == 0
    with pytest.raises(ValueError, match="requires a floating-point dtype, got dtype=int32"):
        keras.random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="requires an integer dtype, got dtype=float32"):
        keras.random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="need minval < maxval"):
        keras.random.randint((2,), 3, 3)
    with pytest.raises(ValueError, match="seed must be an integer or a keras.random.SeedGenerator, got seed='a'"):
        keras.random.normal((2,), seed="a")
    with pytest.raises(ValueError, match="seed must be an integer, got seed=1.5"):
        keras.random.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="rate must be in"):
        keras.random.dropout(np.ones(2, np.float32), 1.5)
    with pytest.raises(ValueError, match="logits must be 2-D"):
        keras.random.categorical(np.zeros(3), 1)


def test_dropout_and_shuffle_are_differentiable():
    x = keras.Variable(np.arange(1.0, 7.0, dtype=np.float32))
    with tf.GradientTape() as tape:
        dropped = keras.random.dropout(x, 0.5, seed=2)
        shuffled = keras.random.shuffle(x, seed=4)
        loss = ops.sum(dropped) + ops.sum(shuffled * np.arange(6.0, dtype=np.float32))
    kept = (dropped.numpy() != 0).astype(np.float32)
    order = np.array(KERAS_3_15["shuffle(arange(6), seed=4)"])
    expected = kept * 2
    expected[order] += np.arange(6.0)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), expected)
    check(keras.random.dropout(x, 0.3, noise_shape=(None,), seed=1).numpy() != 0,
          keras.random.uniform((6,), seed=1).numpy() >= np.float32(0.3))


# -- keras.Variable ------------------------------------------------------------------------------------


def test_variable_from_values_and_initializers():
    minidl.layers.clear_session()
    ints = keras.Variable([1, 2])
    assert ints.dtype == np.int32 and ints.shape == (2,) and ints.path == "variable" and ints.name == "variable"
    floats = keras.Variable(np.ones(2))
    assert floats.dtype == np.float64 and floats.path == "variable_1" and floats.trainable
    zeros = keras.Variable("zeros", shape=(2, 3), name="w")
    assert zeros.dtype == np.float32 and zeros.path == "w" and np.array_equal(zeros.numpy(), np.zeros((2, 3)))
    ones = keras.Variable(keras.initializers.Ones(), shape=(2,), dtype="float64")
    assert ones.dtype == np.float64 and ones.numpy().tolist() == [1.0, 1.0]
    assert keras.Variable(np.array([1.5, 2.5]), dtype="int32").numpy().tolist() == [1, 2]
    assert keras.Variable(3.0).shape == () and float(keras.Variable(3.0)) == 3.0
    assert repr(ints) == "<Variable path=variable, shape=(2,), dtype=int32, value=[1 2]>"
    with pytest.raises(ValueError, match="needs shape="):
        keras.Variable("zeros")
    with pytest.raises(ValueError, match=r"not shape=\(3,\)"):
        keras.Variable(np.zeros(2), shape=(3,))
    with pytest.raises(TypeError, match="unexpected argument"):
        keras.Variable(1.0, colour="red")


def test_variable_assign_value_ops_and_gradients():
    v = keras.Variable([1.0, 2.0])
    assert v.value is v
    v.assign([3.0, 4.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub([0.5, 0.5])
    np.testing.assert_allclose(v.numpy(), [3.5, 4.5])
    check(ops.add(v, 1), np.float32([4.5, 5.5]))
    with tf.GradientTape() as tape:
        loss = ops.sum(ops.square(v))
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), [7.0, 9.0])
    v.trainable = False
    with tf.GradientTape() as tape:
        loss = ops.sum(ops.square(v))
    assert tape.gradient(loss, v) is None and v.trainable is False
    v.trainable = True
    assert v.requires_grad
    with pytest.raises(ValueError, match="does not fit"):
        v.assign([1.0, 2.0, 3.0])


# -- keras.config ------------------------------------------------------------------------------------


def test_config():
    config = keras.config
    assert config.backend() == "tensorflow" and config.image_data_format() == "channels_last"
    assert config.floatx() == "float32" and config.epsilon() == 1e-7
    config.set_floatx("float64")
    try:
        assert config.floatx() == "float64" and ops.zeros((1,)).dtype == np.float64
    finally:
        config.set_floatx("float32")
    config.set_epsilon(1e-5)
    try:
        assert config.epsilon() == 1e-5 and keras.backend.epsilon() == 1e-5
    finally:
        config.set_epsilon(1e-7)
    assert config.enable_unsafe_deserialization() is None
    config.disable_interactive_logging()
    assert config.is_interactive_logging_enabled() and not config.is_traceback_filtering_enabled()
    with pytest.raises(ValueError, match="unknown floatx value 'int32'"):
        config.set_floatx("int32")
    with pytest.raises(ValueError, match="channels-last only"):
        config.set_image_data_format("channels_first")
    with pytest.raises(AttributeError):
        config.no_such_setting  # noqa: B018


# -- against real Keras 3 (skipped where it is not installed) ------------------------------------------

# Where Keras on TensorFlow departs from the NumPy behaviour Keras documents, minidl follows NumPy.
TENSORFLOW_BACKEND_DIFFERS = {
    "vstack of vectors": "it joins vectors end to end; NumPy stacks them as rows",
    "rot90": "it turns k=2 wrongly",
    "linspace of arrays": "it refuses array bounds",
    "pad with an int": "it wants one (before, after) pair per axis, not NumPy's short forms",
    "pad symmetric": "it wants one (before, after) pair per axis, not NumPy's short forms",
    "pad edge": "it has only the constant, reflect and symmetric modes",
    "pad wrap": "it has only the constant, reflect and symmetric modes",
    "diag of a matrix": "it refuses a diagonal outside the matrix, where NumPy gives an empty one",
    "prod with dtype": "it ignores dtype",
}
PARITY_CALLS = [case for case in VALUE_CASES if case[0] not in TENSORFLOW_BACKEND_DIFFERS]


def _real_keras():
    return pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")


def _as_results(value):
    if isinstance(value, (list, tuple)):
        return [_as_results(item) for item in value]
    return np.asarray(value)


def test_values_and_dtypes_equal_real_keras(monkeypatch):
    real = _real_keras()
    differ = []
    for label, call, _ in PARITY_CALLS:
        ours = _as_results(call())
        monkeypatch.setattr(sys.modules[__name__], "ops", real.ops)
        try:
            theirs = _as_results(call())
            check(ours, theirs, rtol=1e-5)
        except Exception as error:  # noqa: BLE001 - every difference is listed
            differ.append(f"{label}: {type(error).__name__}: {str(error)[:200]}")
        finally:
            monkeypatch.setattr(sys.modules[__name__], "ops", keras.ops)
    assert not differ, "\n".join(differ)


def test_random_numbers_equal_real_keras():
    real = _real_keras()
    for name in ("normal", "uniform", "truncated_normal"):
        ours = getattr(keras.random, name)((3, 4), seed=11).numpy()
        theirs = np.asarray(getattr(real.random, name)((3, 4), seed=11))
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    generator, theirs_generator = keras.random.SeedGenerator(5), real.random.SeedGenerator(5)
    for _ in range(3):
        np.testing.assert_allclose(keras.random.normal((4,), seed=generator).numpy(),
                                   np.asarray(real.random.normal((4,), seed=theirs_generator)), rtol=1e-6, atol=1e-6)
    ours = keras.random.dropout(np.ones((3, 4), np.float32), 0.3, noise_shape=(None, 4), seed=2).numpy()
    np.testing.assert_array_equal(ours, np.asarray(real.random.dropout(np.ones((3, 4), np.float32), 0.3,
                                                                       noise_shape=(None, 4), seed=2)))


def test_every_keras_op_is_here_or_gets_advice():
    real = _real_keras()
    names = {name for name in dir(real.ops) if not name.startswith("_")}
    lacking = sorted(name for name in names if name not in vars(ops) and name not in unsupported.NEAREST["minidl.keras.ops"])
    assert not lacking, lacking
    assert set(unsupported.NEAREST["minidl.keras.ops"]) <= names
    assert {name for name in dir(real.random) if not name.startswith("_")} <= set(vars(keras.random))
