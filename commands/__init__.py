"""The application commands: the ``xpm`` dispatcher (``cli``) and the jobs that combine the
pipeline and the trainers (``demo``, ``experiment``, ``predict``, ``rounds``, ``study``). The top
layer: no other package imports it."""
