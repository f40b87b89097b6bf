"""The application layer (use cases), Qt-free: the only place the pipeline is assembled.

The CLI, the GUI's workers, the batch runner and the reports call these functions:

* :mod:`.analysis`  -- ``analysis_steps`` (a generator of typed events returning an ``Analysis``)
  and ``run_analysis``;
* :mod:`.records`   -- ``record_visit``: the one place a visit is recorded;
* :mod:`.screening` -- ``screen_file`` / ``expand_inputs``: screening many files;
* :mod:`.models`    -- ``load_screener``, ``shared_screener``, ``model_info``, ``model_card_text``.
"""
