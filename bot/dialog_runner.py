"""Runs botbuilder dialogs whose state lives in ConversationState (so in our database).

A feature adds its dialog once at wiring time and starts it from a command handler:

    components.dialogs.add(IncidentDialog())
    await components.dialogs.begin(turn_context, IncidentDialog.__name__)

Later turns of the conversation reach the dialog through `continue_active`, on any replica.

botbuilder.dialogs is imported only once a dialog is added: with its prompts it pulls in the
Recognizers-Text date/number models of a dozen languages (~0.9 s and ~20 MB), which a bot without
dialogs would pay at every start-up (issue #17). Until then no dialog can be waiting for an answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botbuilder.core import ConversationState, TurnContext

if TYPE_CHECKING:
    from botbuilder.dialogs import Dialog, DialogSet, DialogTurnResult


class DialogRunner:
    """One DialogSet for the bot, its state stored under "DialogState" of the conversation."""

    def __init__(self, conversation_state: ConversationState) -> None:
        self._conversation_state = conversation_state
        self._set: DialogSet | None = None

    @property
    def _dialogs(self) -> DialogSet:
        if self._set is None:
            from botbuilder.dialogs import DialogSet

            self._set = DialogSet(self._conversation_state.create_property("DialogState"))
        return self._set

    def add(self, dialog: Dialog) -> None:
        """Make `dialog` startable by its id; adding the same id twice raises."""
        if self._dialogs.find_dialog(dialog.id) is not None:
            raise ValueError(f"dialog {dialog.id!r} is already added")
        self._dialogs.add(dialog)

    async def begin(self, turn_context: TurnContext, dialog_id: str, options: Any = None) -> DialogTurnResult:
        """Start `dialog_id`, replacing any dialog that was waiting for an answer."""
        dialog_context = await self._dialogs.create_context(turn_context)
        await dialog_context.cancel_all_dialogs()
        result = await dialog_context.begin_dialog(dialog_id, options)
        await self._save(turn_context)
        return result

    async def continue_active(self, turn_context: TurnContext) -> bool:
        """Give the turn to the dialog waiting for an answer; False when none is."""
        if self._set is None:  # no dialog was ever added, so none can be waiting
            return False
        dialog_context = await self._dialogs.create_context(turn_context)
        if dialog_context.active_dialog is None:
            return False
        await dialog_context.continue_dialog()
        await self._save(turn_context)
        return True

    async def is_active(self, turn_context: TurnContext) -> bool:
        if self._set is None:
            return False
        dialog_context = await self._dialogs.create_context(turn_context)
        return dialog_context.active_dialog is not None

    async def cancel_all(self, turn_context: TurnContext) -> bool:
        """End every dialog of the conversation; False when none was running."""
        if self._set is None:
            return False
        dialog_context = await self._dialogs.create_context(turn_context)
        result = await dialog_context.cancel_all_dialogs()
        await self._save(turn_context)
        from botbuilder.dialogs import DialogTurnStatus

        return bool(result.status == DialogTurnStatus.Cancelled)

    async def _save(self, turn_context: TurnContext) -> None:
        # Commit before acknowledging: the next turn may land on another replica.
        await self._conversation_state.save_changes(turn_context)
