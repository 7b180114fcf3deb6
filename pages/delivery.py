"""Delivery (being built)."""

import streamlit as st

st.title("Delivery")
