"""``xpm predict``: segment the classes a user names, in any images, with a trained checkpoint
(the paper's Figure 5: an open vocabulary at test time). ``config`` holds the job's settings,
``job`` runs it; the package imports neither, so the ``xpm`` parser stays light."""
