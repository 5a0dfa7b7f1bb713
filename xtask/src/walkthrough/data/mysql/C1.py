import pandas as pd
# data url in ArcGIS Hub
data_url ="https://opendata.arcgis.com/api/v3/datasets/033311f71d5a4b98babaa2280b432a43_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1"
data = pd.read_csv(data_url, index_col=0, nrows=1000)
filled_data = data.fillna(0.0)
filled_data.to_csv("outputs/Motorized-Foot-Scooter-Trips-2021.csv", index=False)
