"""Set-up of each Dask worker process the batch's ``LocalCluster`` starts (Dask ``preload``).

``dask_setup`` runs in the worker process as it starts (and again in a worker the nanny
restarts): one math thread (``batch_worker.pin_threads``: the cluster's workers are
single-threaded processes, one per core), and, when :data:`~scoliscreen.app.lifeline.ENV` names
this process's parent (the coordinator that started the cluster), the lifeline
(``lifeline.arm``): the worker ends within a second of the coordinator's death, ``kill -9``
included. Workers of a cluster started by hand (``dask worker ... --preload
scoliscreen.app.cluster_worker``) pin their threads and have no lifeline (their parent is not
a batch).
"""

from __future__ import annotations

import os


def dask_setup(worker: object = None) -> None:
    from scoliscreen.app.batch_worker import pin_threads
    from scoliscreen.app.lifeline import ENV, arm

    pin_threads(1)
    try:
        coordinator = int(os.environ.get(ENV, "0"))
    except ValueError:
        coordinator = 0
    if coordinator > 0 and os.getppid() == coordinator:
        arm(coordinator)
