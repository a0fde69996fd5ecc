"""What Caffe itself knows and does, one home for each fact, for every rule to ask.

Rules import facts from here (and from :mod:`prototxt_lint.model`, the per-phase nets),
never from other rules: ``tests/test_architecture.py`` checks it.

- :mod:`.layers`: which layer types BVLC Caffe registers, near-misses of them, how many
  parameter blobs a layer creates, whether Caffe builds the net as written at all.
- :mod:`.solver`: what ``Solver::InitTestNets`` builds from a solver's test fields.
- :mod:`.lr_policies`: the learning-rate policies ``SGDSolver::GetLearningRate`` knows.
"""
