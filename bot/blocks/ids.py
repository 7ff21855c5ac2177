"""Block Kit ids the listeners and the builders share."""

SEND_MODAL = "karat_send"
SEND_SHORTCUT = "send_karat_test"  # the global shortcut in manifest.yml
CANDIDATE_BLOCK = "candidate"
CANDIDATE_ACTION = "candidate_select"
TEST_BLOCK = "test"
TEST_ACTION = "test_select"
GRADERS_BLOCK = "graders"
GRADERS_ACTION = "graders_select"
OPTIONS_BLOCK = "options"
OPTIONS_ACTION = "send_options"

MARK_GRADED_ACTION = "mark_graded"
OPEN_SEND_ACTION = "open_send_modal"
OPEN_LINK_ACTION = "open_link"

# Form field names used by the services, mapped to the modal's input blocks.
FIELD_BLOCKS = {
    "candidate": CANDIDATE_BLOCK,
    "test": TEST_BLOCK,
    "graders": GRADERS_BLOCK,
    "options": OPTIONS_BLOCK,
}
