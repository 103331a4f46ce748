"""What the demo reports look like: their names and the sObject each is matched against, the
CSV headers, the field mapping a correct integration uses, and the value pools rows are drawn from.
"""

from __future__ import annotations

REPORTS = ("onboarding", "nps")
SOBJECTS = {"onboarding": "Contact", "nps": "Lead"}
EMPTY_KEY_RATE = 0.002

ONBOARDING_HEADER = (
    "End User ID",
    "Account Name",
    "Onboarding Progress (%)",
    "Onboarding Completed",
    "First seen timestamp",
    "Last seen timestamp",
    "Total sessions",
    "Average session duration (min)",
    "Feature Adoption",
    "Country",
)
NPS_HEADER = (
    "End User ID",
    "Survey Name",
    "Survey ID",
    "Question",
    "Answer",
    "Answer Freetext",
    "Date (UTC)",
    "Question Date & Time (UTC)",
)
FIELD_MAPPING = {
    "onboarding": {
        "Onboarding Progress (%)": "WalkMe_Onboarding_Progress__c",
        "Onboarding Completed": "WalkMe_Onboarding_Completed__c",
        "First seen timestamp": "WalkMe_First_Seen__c",
        "Last seen timestamp": "WalkMe_Last_Seen__c",
        "Total sessions": "WalkMe_Total_Sessions__c",
        "Average session duration (min)": "WalkMe_Avg_Session_Minutes__c",
        "Feature Adoption": "WalkMe_Feature_Adoption__c",
    },
    "nps": {
        "Answer": "WalkMe_NPS_Score__c",
        "Answer Freetext": "WalkMe_NPS_Comment__c",
        "Date (UTC)": "WalkMe_NPS_Survey_Date__c",
    },
}
COUNTRIES = (
    "United States",
    "United States",
    "United States",
    "United Kingdom",
    "Germany",
    "France",
    "Canada",
    "India",
    "Japan",
    "Brazil",
    "Australia",
    "Israel",
    "Netherlands",
    "España",
    "Côte d'Ivoire",
    "Korea, Republic of",
    "Curaçao",
    "Türkiye",
    "",
)
QUESTION = "How likely are you to recommend Acme Cloud to a friend or colleague?"
COMMENTS_GOOD = (
    "Love the new dashboards",
    "Great onboarding, the walkthroughs saved me hours",
    'The "Quick start" guide is excellent',
    "Fast, simple, reliable",
    "Très bien, merci !",
    "Support answered in minutes, thanks Zoë",
)
COMMENTS_BAD = (
    "Too slow, especially exports",
    "Pricing is confusing, and the invoices too",
    "I can't find the settings page",
    'Search returns "nothing found" for things that exist',
    "Login loops on Safari; had to clear cookies, twice",
    "Das Menü ist unübersichtlich",
)
SURVEYS = (  # name, id, window start, window end (UTC dates)
    ("Quarterly NPS \u2013 Q1 2026", "40117", "2026-01-05", "2026-03-27"),
    ("Quarterly NPS \u2013 Q2 2026", "40231", "2026-04-06", "2026-06-26"),
    ("Quarterly NPS \u2013 Q3 2026", "40388", "2026-07-06", "2026-09-25"),
    ("Quarterly NPS \u2013 Q4 2026", "40502", "2026-10-05", "2026-11-25"),
)
