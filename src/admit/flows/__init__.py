"""Work that spans domains, one module per user-visible flow.

A flow calls the services of the domains it joins (and the read models in ``admit.people``);
services never call flows. The faces (API, pages, CLI) call one service or one flow per action.
"""
