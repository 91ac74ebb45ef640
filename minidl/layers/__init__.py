"""Keras-compatible layers: same names, arguments, defaults and weight layouts."""

from minidl.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from minidl.layers.attention import AdditiveAttention, Attention
from minidl.layers.base import Layer, Parameter, SymbolicTensor, clear_session
from minidl.layers.conv1d_transpose import Conv1DTranspose
from minidl.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from minidl.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from minidl.layers.depthwise_convolutional import DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from minidl.layers.embedding import Embedding
from minidl.layers.group_normalization import GroupNormalization
from minidl.layers.input_layer import Input, InputLayer
from minidl.layers.input_spec import InputSpec
from minidl.layers.lambda_layer import Lambda
from minidl.layers.layer_normalization import LayerNormalization
from minidl.layers.masking import Masking
from minidl.layers.merge import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, concatenate
from minidl.layers.multi_head_attention import MultiHeadAttention
from minidl.layers.noise import GaussianDropout, GaussianNoise
from minidl.layers.normalization import BatchNormalization
from minidl.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from minidl.layers.preprocessing import (
    CategoryEncoding,
    CenterCrop,
    Discretization,
    Hashing,
    IntegerLookup,
    Normalization,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
    StringLookup,
    TextVectorization,
)
from minidl.layers.recurrent import GRU, LSTM, BaseRNN, SimpleRNN
from minidl.layers.regularization import ActivityRegularization, AlphaDropout, SpatialDropout1D, SpatialDropout2D
from minidl.layers.reshaping import Cropping1D, Cropping2D, Identity, Permute, RepeatVector
from minidl.layers.rnn import RNN
from minidl.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from minidl.layers.time_distributed import TimeDistributed
from minidl.layers.unit_normalization import UnitNormalization
from minidl.layers.wrappers import Bidirectional

__all__ = [
    "AveragePooling1D", "AveragePooling2D", "Conv1D", "Conv2D", "Conv2DTranspose", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPooling1D", "MaxPooling2D",
    "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
    "ELU", "GRU", "LSTM", "Activation", "Add", "Average", "BaseRNN", "BatchNormalization", "Bidirectional", "Concatenate", "Dense", "Dropout",
    "Embedding", "Flatten", "Input", "InputLayer", "InputSpec", "Layer", "LeakyReLU", "Maximum", "Minimum",
    "Multiply", "Parameter", "ReLU", "Reshape", "SimpleRNN", "Softmax", "SpatialDropout1D", "Subtract",
    "SymbolicTensor", "add", "clear_session", "concatenate",
    "Cropping1D", "Cropping2D", "GaussianDropout", "GaussianNoise", "Identity", "Lambda", "LayerNormalization",
    "Masking", "Permute", "RepeatVector", "Rescaling", "TimeDistributed",
    "CategoryEncoding", "Discretization", "Hashing", "IntegerLookup", "Normalization", "StringLookup",
    "TextVectorization", "CenterCrop", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip",
    "RandomRotation", "RandomTranslation", "RandomZoom", "Resizing",
    "ActivityRegularization", "AdditiveAttention", "AlphaDropout", "Attention", "Conv1DTranspose", "DepthwiseConv1D",
    "DepthwiseConv2D", "Dot", "GRUCell", "GroupNormalization", "LSTMCell", "MultiHeadAttention", "PReLU", "RNN",
    "SeparableConv1D", "SeparableConv2D", "SimpleRNNCell", "SpatialDropout2D", "StackedRNNCells", "UnitNormalization",
]
