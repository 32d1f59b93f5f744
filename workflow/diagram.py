"""Mermaid `stateDiagram-v2` of a procedure, read from the compiled machine the engine runs."""

from __future__ import annotations

from workflow.engine import Procedure


def _quoted(text: str) -> str:
    return text.replace('"', "'")


def mermaid(procedure: Procedure, *, show_guards: bool = True, show_internal: bool = True) -> str:
    """States (with their Vietnamese labels), every transition of the machine with its action and
    guards, internal actions as self-loops, the initial state and the final states."""
    machine = procedure.machine
    definition = procedure.definition
    lines = ["stateDiagram-v2", f"    %% {definition.name}: {_quoted(definition.label)}"]
    for name in machine.states:
        lines.append(f'    state "{_quoted(procedure.state_label(name))}" as {name}')
    lines.append(f"    [*] --> {machine.initial}")
    for action, event in machine.events.items():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                dest = transition.dest
                if dest is None and not show_internal:
                    continue
                label = action
                if show_guards:
                    guards = [
                        g.name
                        for t in procedure.machine_transitions(action, source)
                        if t.dest == dest
                        for g in t.guards
                    ]
                    if guards:
                        label = f"{action} [{', '.join(dict.fromkeys(guards))}]"
                lines.append(f"    {source} --> {dest or source} : {label}")
    for state in definition.states:
        if state.final:
            lines.append(f"    {state.name} --> [*]")
    return "\n".join(lines) + "\n"


def edges(procedure: Procedure) -> list[tuple[str, str, str]]:
    """(source, action, destination) of every transition of the compiled machine, in its order; an
    internal action's destination is its source."""
    found: list[tuple[str, str, str]] = []
    for action, event in procedure.machine.events.items():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                edge = (source, action, transition.dest or source)
                if edge not in found:
                    found.append(edge)
    return found
