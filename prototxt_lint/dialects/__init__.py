"""Caffe dialects: the forks a file may be written for, and what each adds to BVLC's schema.

One record per fork says who publishes it; what its schema adds or changes is declared in
``proto/dialects/<name>.proto`` (an overlay on BVLC's ``caffe.proto``, written by
``scripts/gen_dialect.py`` from the fork's own schema and checked against it by
``tests/test_dialects.py``). ``overlay.py`` turns a declaration into a schema the parser can
use; ``detect.py`` decides, from the fields a file uses, which dialect it is written for.
"""

from __future__ import annotations

from prototxt_lint.records import Record


class Dialect(Record):
    """A Caffe fork that users write prototxt files for."""

    __slots__ = ("name", "repo", "source", "title")

    def __init__(self, name: str, title: str, repo: str, source: str) -> None:
        self.name = name  # as given to --dialect and `dialect = "..."`
        self.title = title  # as said in messages: "the SSD fork (weiliu89/caffe)"
        self.repo = repo  # where its caffe.proto is published (GitHub owner/name)
        # the fork's caffe.proto the declaration is checked against: a file in
        # ../shared/corpus/protos/ or, for forks without one there, tests/fixtures/dialects/
        self.source = source

    def describe(self) -> str:
        return f"{self.title} ({self.repo})"


#: Every dialect, in the order ties are broken (see detect.py): older, more widely copied
#: forks first, since later forks are usually built on them.
DIALECTS: tuple[Dialect, ...] = (
    Dialect("ssd", "the SSD fork", "weiliu89/caffe", "weiliu89__caffe.caffe.proto"),
    Dialect("fast-rcnn", "the Fast/Faster R-CNN fork", "rbgirshick/caffe-fast-rcnn",
            "rbgirshick__caffe-fast-rcnn.caffe.proto"),
    Dialect("rfcn", "the R-FCN fork", "daijifeng001/caffe-rfcn",
            "daijifeng001__caffe-rfcn.caffe.proto"),
    Dialect("segnet", "the SegNet fork", "alexgkendall/caffe-segnet",
            "alexgkendall__caffe-segnet.caffe.proto"),
    Dialect("c3d-1.0", "the C3D v1.0 fork", "facebookarchive/C3D",
            "facebook__C3D-v1.0.caffe.proto"),
    Dialect("c3d-1.1", "the C3D v1.1 fork", "facebookarchive/C3D",
            "facebook__C3D-v1.1.caffe.proto"),
    Dialect("deeplab", "the DeepLab fork", "TheLegendAli/DeepLab-Context",
            "TheLegendAli__DeepLab-Context.caffe.proto"),
    Dialect("deeplab-v2", "the DeepLab v2 fork", "bitbucket.org/aquariusjay/deeplab-public-ver2",
            "deeplab-v2.caffe.proto"),
    Dialect("pspnet", "the PSPNet fork", "hszhao/PSPNet", "hszhao__PSPNet.caffe.proto"),
    Dialect("openpose-train", "OpenPose's training fork",
            "CMU-Perceptual-Computing-Lab/caffe_train",
            "CMU-Perceptual-Computing-Lab__caffe_train.caffe.proto"),
    Dialect("nvcaffe", "NVIDIA's Caffe (NVCaffe)", "NVIDIA/caffe", "NVIDIA__caffe.caffe.proto"),
    Dialect("intel", "Intel's Caffe", "intel/caffe", "intel__caffe.caffe.proto"),
    Dialect("caffe-windows", "the caffe-windows fork", "happynear/caffe-windows",
            "happynear__caffe-windows.caffe.proto"),
    Dialect("lrcn", "the LRCN fork", "LisaAnne/lisa-caffe-public",
            "LisaAnne__lisa-caffe-public.caffe.proto"),
    Dialect("tsn", "the temporal segment networks fork", "yjxiong/caffe",
            "yjxiong__caffe.caffe.proto"),
    Dialect("eco", "the ECO fork", "mzolfaghari/ECO-efficient-video-understanding",
            "mzolfaghari__ECO-efficient-video-understanding.caffe.proto"),
    Dialect("ristretto", "Ristretto", "pmgysel/caffe", "pmgysel__caffe.caffe.proto"),
    Dialect("hed", "the HED fork", "s9xie/hed", "s9xie__hed.caffe.proto"),
    Dialect("mscnn", "the MS-CNN fork", "zhaoweicai/mscnn", "zhaoweicai__mscnn.caffe.proto"),
    Dialect("cascade-rcnn", "the Cascade R-CNN fork", "zhaoweicai/cascade-rcnn",
            "zhaoweicai__cascade-rcnn.caffe.proto"),
    Dialect("ctpn", "the CTPN fork", "tianzhi0549/CTPN", "tianzhi0549__CTPN.caffe.proto"),
    Dialect("textboxes", "the TextBoxes fork", "MhLiao/TextBoxes",
            "MhLiao__TextBoxes.caffe.proto"),
    Dialect("refinedet", "the RefineDet fork", "sfzhang15/RefineDet",
            "sfzhang15__RefineDet.caffe.proto"),
    Dialect("yolov2", "the caffe-yolov2 fork", "gklz1982/caffe-yolov2",
            "gklz1982__caffe-yolov2.caffe.proto"),
    Dialect("mobilenet-yolo", "the MobileNet-YOLO fork", "eric612/MobileNet-YOLO",
            "eric612__MobileNet-YOLO.caffe.proto"),
    Dialect("caffe-ocr", "the caffe_ocr fork", "senlinuc/caffe_ocr",
            "senlinuc__caffe_ocr.caffe.proto"),
    Dialect("center-loss", "the center-loss fork", "ydwen/caffe-face",
            "ydwen__caffe-face.caffe.proto"),
    Dialect("large-margin", "the Large-Margin Softmax fork", "wy1iu/LargeMargin_Softmax_Loss",
            "wy1iu__LargeMargin_Softmax_Loss.caffe.proto"),
    Dialect("sphereface", "the SphereFace fork", "wy1iu/sphereface",
            "wy1iu__sphereface.caffe.proto"),
    Dialect("arcface", "the arcface-caffe fork", "xialuxi/arcface-caffe",
            "xialuxi__arcface-caffe.caffe.proto"),
    Dialect("crfasrnn", "the CRF-as-RNN fork", "torrvision/crfasrnn",
            "torrvision__crfasrnn.caffe.proto"),
    Dialect("r-c3d", "the R-C3D fork", "VisionLearningGroup/R-C3D",
            "VisionLearningGroup__R-C3D.caffe.proto"),
)

BY_NAME: dict[str, Dialect] = {d.name: d for d in DIALECTS}


def dialect_choices() -> list[str]:
    """What --dialect and `dialect = ...` accept: detection, BVLC itself, or one fork."""
    return ["auto", "bvlc", *sorted(BY_NAME)]


__all__ = ["BY_NAME", "DIALECTS", "Dialect", "dialect_choices"]
