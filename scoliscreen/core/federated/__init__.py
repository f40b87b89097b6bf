"""Federated training of the screening network with Flower (``flwr``, the deployment engine):
clinics train locally on their own children and send only the network's trainable parameters
and counts/metrics; the coordinator averages them (FedAvg / FedProx). ``learning`` holds the
torch side (site data, local rounds, evaluation), ``flower_apps`` the ServerApp and ClientApp,
``deploy`` the SuperLink / SuperNode processes, certificates and keys. docs/federated.md.

Needs the optional extra ``.[federated]``.
"""
