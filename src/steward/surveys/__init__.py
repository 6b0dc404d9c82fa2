"""Surveys: NPS and CSAT invitations by personal link, answers, and the SurveyAnswered event
playbooks react to."""
