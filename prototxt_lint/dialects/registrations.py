"""What each fork registers beyond BVLC Caffe: layer types (``REGISTER_LAYER_CLASS`` /
``REGISTER_LAYER_CREATOR``), solver types (``REGISTER_SOLVER_CLASS``) and lr policies (the
names ``SGDSolver<Dtype>::GetLearningRate`` compares ``lr_policy`` with).

Declared here in the project's own words; each entry is checked against the fork's published
sources, recorded line by line (source path, commit, name) in
``tests/fixtures/dialects/registrations/<dialect>.txt``, by ``tests/test_registrations.py``.
Only what a fork's sources were seen to register is declared: a fork whose sources could not
be read declares nothing (its types are then known only as far as its schema tells, see
``prototxt_lint.caffe.layers.fork_provides``), and a declared list may be short of what the
fork has. So a declaration is evidence that the fork has a type, never that it lacks one,
unless it is marked ``complete``: every file of the fork's layer folder (and its
``layer_factory.cpp``) was read, so a type neither BVLC nor the list has is one the fork lacks
(``rules/layer_types.py``, N314). The code index holds only part of each fork's folder, so no
fork is complete yet.

Plain data, no import beyond the standard library: cheap at start-up.
"""

from __future__ import annotations


class Registrations:
    """The names one fork registers that BVLC Caffe does not."""

    __slots__ = ("complete", "layers", "lr_policies", "solvers")

    def __init__(self, layers: tuple[str, ...] = (), solvers: tuple[str, ...] = (),
                 lr_policies: tuple[str, ...] = (), complete: bool = False) -> None:
        self.layers = frozenset(layers)
        self.solvers = frozenset(solvers)
        self.lr_policies = frozenset(lr_policies)
        # every layer type the fork registers is listed (its whole layer folder was read)
        self.complete = complete


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
    # SegNet: its own batch normalisation, the unpooling by max-pooling masks, and its data
    # layer of images with dense label maps.
    "segnet": Registrations(layers=("BN", "DenseImageData", "Upsample")),
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
    # Intel Caffe: Faster R-CNN's RoI pooling with its own proposal NMS, two video data
    # layers; a rate lowered when the smoothed loss stops falling, and one fixed rate per stage
    # (``stagelr`` up to ``stageiter``).
    "intel": Registrations(
        layers=("NewVideoData", "ROIPooling", "SimplerNMS", "VideoData"),
        lr_policies=("multifixed", "plateau")),
    # NVCaffe 0.17: SSD's layers (data, priors, multibox loss, output and evaluation, L2
    # normalisation, permutation), SENet's Axpy, L1 and smooth L1 losses, video data, a
    # TensorRT layer (in TensorRT builds), and a solver of its own (SAG, beside BVLC's six).
    "nvcaffe": Registrations(layers=(
        "AnnotatedData", "Axpy", "DetectionEvaluate", "DetectionOutput", "L1Loss",
        "MultiBoxLoss", "Normalize", "Permute", "PriorBox", "SmoothL1Loss", "TRT", "VideoData",
    ), solvers=("SAG",)),
    # C3D v1.1: 3D convolution, deconvolution and pooling over clips, its video data layer, an
    # L2 normalisation and a sink for unused blobs.
    "c3d-1.1": Registrations(layers=(
        "BlackHole", "Convolution3D", "Deconvolution3D", "L2Normalize", "Pooling3D", "VideoData",
    )),
    # LRCN: compact bilinear pooling, signed square root, an argmax sampler and a softmax loss
    # per instance.
    "lrcn": Registrations(layers=(
        "CompactBilinear", "Sample", "SignedSqrt", "SoftmaxPerInstLoss",
    )),
    # Temporal segment networks: bilinear resizing, a multi-label loss, the frame-sequence data
    # layer and synchronised BN.
    "tsn": Registrations(layers=("Interp", "MultilabelLogisticLoss", "SequenceData", "SyncBN")),
    # ECO (on TSN's fork): its BN, synchronised BN, reduction over the segments, SSD's axis
    # permutation, and its video and segmentation data layers.
    "eco": Registrations(layers=(
        "BN", "BatchReduction", "Permute", "SegData", "SyncBN", "VideoData",
    )),
    # HED: its image/label-map data layer.
    "hed": Registrations(layers=("ImageLabelmapData",)),
    # CTPN: its own LSTM ("Lstm", beside BVLC's "LSTM"), reversing and transposing blobs, and
    # sparse im2col.
    "ctpn": Registrations(layers=(
        "Lstm", "MoreSparseIm2col", "Reverse", "SparseIm2col", "Transpose",
    )),
    # RefineDet (on SSD): SSD's detection output and multibox loss, as far as indexed.
    "refinedet": Registrations(layers=("DetectionOutput", "MultiBoxLoss")),
    # caffe-yolov2: the YOLO v2 output and the reorganisation of a feature map.
    "yolov2": Registrations(layers=("DetectionOutput", "Reorg")),
    # caffe_ocr: a DenseNet block in one layer and a multi-label accuracy.
    "caffe-ocr": Registrations(layers=("DenseBlock", "MultiLabelAccuracy")),
    # Large-Margin Softmax: its inner product with an angular margin and a BN.
    "large-margin": Registrations(layers=("BN", "LargeMarginInnerProduct")),
    # SphereFace: the A-Softmax inner product.
    "sphereface": Registrations(layers=("MarginInnerProduct",)),
    # OpenPose's training fork: the keypoint data layer with its augmentation.
    "openpose-train": Registrations(layers=("CPMData",)),
    # Ristretto: quantised convolution and LRN.
    "ristretto": Registrations(layers=("ConvolutionRistretto", "LRNRistretto")),
    # arcface-caffe's layers: the additive and combined angular margins, AdaCos, an L2
    # normalisation, the wing and smooth L1 losses for landmarks.
    "arcface": Registrations(layers=(
        "AdaCosAddmScale", "CombinedMargin", "CosinAddm", "NormL2", "SmoothL1Loss", "WingLoss",
    )),
    # caffe-windows: face-recognition losses and margins (center, contrastive and triplet
    # losses, label-specific margins and rescaling, large-margin inner product), BN and
    # normalisation, Faster R-CNN's RoI pooling, proposals and box loss, SSD's permutation, a
    # spatial transformer, locally connected convolution, data layers for FCN, multi-label
    # images and WIDER FACE, and elementwise helpers.
    "caffe-windows": Registrations(layers=(
        "Arccos", "BN", "BatchContrastiveLoss", "CenterLoss", "ChannelScale",
        "ConfidencePenaltyLoss", "CorrelationLoss", "Cosine", "Covariance", "EltwiseAffine",
        "FCNAccuracy", "FCNData", "FeatureDecayLoss", "FeatureIncayLoss", "Flip", "FocalLoss",
        "GeneralContrastiveLoss", "GeneralTripletLoss", "GlobalLSEMargin", "Gram", "Hotspot",
        "InfimumLoss", "InnerDistance", "Insanity", "LabelSpecificAdd", "LabelSpecificAffine",
        "LabelSpecificHardMargin", "LabelSpecificMargin", "LabelSpecificRescale",
        "LabelSpecificStatistics", "LargeMarginInnerProduct", "Local", "MovingNormalize",
        "MultiLabelImageData", "NCALoss", "Noise", "Normalize", "Pairwise", "Permute",
        "PredictBox", "Proposal", "ROIPooling", "RadialRemovalMargin", "Resize", "Slope",
        "SmoothL1Loss", "SoftContrastiveLoss", "SoftTruncation", "SubRegion", "TrainableData",
        "Transformer", "TripletLoss", "Truncation", "WiderFaceData",
    )),
}

_NONE = Registrations()


def registrations(dialect: str | None) -> Registrations:
    """What dialect ``dialect`` (a name, or None for BVLC or a user's schema) registers."""
    return REGISTRATIONS.get(dialect or "", _NONE)


def forks_registering_layer(type_name: str) -> list[str]:
    """The dialects declared to register layer type ``type_name``, in declaration order."""
    return [name for name, regs in REGISTRATIONS.items() if type_name in regs.layers]


__all__ = ["REGISTRATIONS", "Registrations", "forks_registering_layer", "registrations"]
