"""Report writers: report.json (the contract), junit.xml (CI), report.html (people), and the
cookie declaration a privacy-policy page embeds."""
