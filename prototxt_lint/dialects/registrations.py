"""What each fork registers beyond BVLC Caffe: layer types (``REGISTER_LAYER_CLASS`` /
``REGISTER_LAYER_CREATOR``), solver types (``REGISTER_SOLVER_CLASS``) and lr policies (the
names ``SGDSolver<Dtype>::GetLearningRate`` compares ``lr_policy`` with).

Declared here in the project's own words; each entry is checked against the fork's published
sources, recorded line by line (source path, commit, name) in
``tests/fixtures/dialects/registrations/<dialect>.txt``, by ``tests/test_registrations.py``.
Only what a fork's sources were seen to register is declared: a fork whose sources could not
be read declares nothing (its types are then known only as far as its schema tells, see
``prototxt_lint.caffe.layers.fork_provides``), and a declared list may be short of what the
fork has. So a declaration is evidence that the fork has a type, never that it lacks one.

Plain data, no import beyond the standard library: cheap at start-up.
"""

from __future__ import annotations


class Registrations:
    """The names one fork registers that BVLC Caffe does not."""

    __slots__ = ("layers", "lr_policies", "solvers")

    def __init__(self, layers: tuple[str, ...] = (), solvers: tuple[str, ...] = (),
                 lr_policies: tuple[str, ...] = ()) -> None:
        self.layers = frozenset(layers)
        self.solvers = frozenset(solvers)
        self.lr_policies = frozenset(lr_policies)


#: Dialect name (prototxt_lint.dialects.DIALECTS) -> what it registers beyond BVLC.
REGISTRATIONS: dict[str, Registrations] = {
    # SSD: its data layer for annotated LMDBs, the detection head (priors, the multibox
    # loss, the output with NMS), the L2 normalisation of conv4_3, the axis permutation
    # before flattening, and a data layer reading video frames.
    "ssd": Registrations(layers=(
        "AnnotatedData", "DetectionOutput", "MultiBoxLoss", "Normalize", "Permute",
        "PriorBox", "VideoData",
    )),
    # Fast/Faster R-CNN: pooling of regions of interest and the box-regression loss.
    "fast-rcnn": Registrations(layers=("ROIPooling", "SmoothL1Loss")),
    # R-FCN: position-sensitive RoI pooling, online hard example mining of boxes, and
    # Fast R-CNN's box-regression loss.
    "rfcn": Registrations(layers=("BoxAnnotatorOHEM", "PSROIPooling", "SmoothL1Loss")),
    # SegNet: its own batch normalisation and the unpooling by max-pooling masks.
    "segnet": Registrations(layers=("BN", "Upsample")),
    # Cascade R-CNN: its detection data layers, the multi-stage heads (proposal targets,
    # box decoding, grouped losses and accuracies, hard mining, routing by scale) and RoI
    # pooling and alignment.
    "cascade-rcnn": Registrations(layers=(
        "BboxAccuracy", "BoxGroupOutput", "DecodeBBox", "DetectionData", "DetectionEvaluate",
        "DetectionGroupAccuracy", "DetectionGroupLoss", "EvalData", "FrcnnOutput",
        "HardMining", "ProposalTarget", "ROIAlign", "ROIPooling", "ScaleRoute",
        "SmoothL1Loss",
    )),
    # MS-CNN: its image/box data layers, the detection heads (proposal targets, box
    # decoding and output, the detection loss and accuracies), a class-weighted softmax loss,
    # RoI pooling and Fast R-CNN's box-regression loss.
    "mscnn": Registrations(layers=(
        "BboxAccuracy", "BoxOutput", "DecodeBBox", "Detection", "DetectionAccuracy",
        "DetectionLoss", "ImageGtData", "ProposalTarget", "ROIPooling", "SmoothL1Loss",
        "SoftmaxWithWeightedLoss", "WindowPedData",
    )),
    # MobileNet-YOLO: SSD's data and output layers, depthwise convolution and ReLU6 for
    # MobileNets, the YOLO v2/v3 losses and outputs (also Gaussian YOLOv3's), segmentation
    # and lane heads, nearest-neighbour upsampling and assisted excitation.
    "mobilenet-yolo": Registrations(layers=(
        "AnnotatedData", "AssistedExcitation", "DepthwiseConvolution", "DetectionOutput",
        "GaussianYolov3", "LaneData", "ReLU6", "RegionLoss", "SegmentationEvaluate",
        "Upsample", "YoloDetectionOutput", "YoloSeg", "Yolov3", "Yolov3DetectionOutput",
    )),
    # PSPNet (on DeepLab v2): its synchronised BN, segmentation data and accuracy, DeepLab's
    # dense CRF, domain transform, hole (atrous) convolution, MATLAB blob I/O and label
    # layers, and an L2 normalisation.
    "pspnet": Registrations(layers=(
        "AdaptiveBiasChannel", "BN", "BiasChannel", "DenseCRF", "DomainTransform",
        "DomainTransformForwardOnly", "HoleConvolution", "ImageSegData", "MatRead",
        "MatWrite", "Normalize", "SegAccuracy", "SpatialProduct", "UniqueLabel",
    )),
    # Intel Caffe: a rate lowered when the smoothed loss stops falling, and one fixed rate
    # per stage (``stagelr`` up to ``stageiter``).
    "intel": Registrations(lr_policies=("multifixed", "plateau")),
}

_NONE = Registrations()


def registrations(dialect: str | None) -> Registrations:
    """What dialect ``dialect`` (a name, or None for BVLC or a user's schema) registers."""
    return REGISTRATIONS.get(dialect or "", _NONE)


def forks_registering_layer(type_name: str) -> list[str]:
    """The dialects declared to register layer type ``type_name``, in declaration order."""
    return [name for name, regs in REGISTRATIONS.items() if type_name in regs.layers]


__all__ = ["REGISTRATIONS", "Registrations", "forks_registering_layer", "registrations"]
