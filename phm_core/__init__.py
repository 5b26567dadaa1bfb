"""PHM Navigator analytics: pure Python, no Streamlit. Loaders, geography, statistics and figure builders."""
