"""Analyses: functions of evaluated networks (receptive fields, ...), above the ops and the evaluator."""
