"""The agent library: traders written on the ``sim.agent.Agent`` interface."""
