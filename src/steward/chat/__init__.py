"""Chat interactivity: what a press on a Slack message button does in Steward."""
